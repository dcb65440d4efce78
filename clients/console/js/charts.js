// Bar charts as inline SVG, each with its figures in a table beside it, so
// the numbers are there for a screen reader and for anyone who prefers
// them.
import { h } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) {
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// `rows`: [{ label, value, text? }]; `unit`: what the values count.
export function barChart(title, rows, { unit = '', format = (v) => String(v) } = {}) {
  const width = 640;
  const labelWidth = 210;
  const barHeight = 24;
  const gap = 8;
  const height = Math.max(1, rows.length) * (barHeight + gap);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: chart (figures in the table)`,
    class: 'chart', preserveAspectRatio: 'xMinYMin meet',
  });
  rows.forEach((row, i) => {
    const y = i * (barHeight + gap);
    const barWidth = ((width - labelWidth - 90) * row.value) / max;
    const label = row.label.length > 26 ? `${row.label.slice(0, 25)}…` : row.label;
    chart.append(
        svg('text', { x: 0, y: y + barHeight * 0.7, class: 'chart-label' }, label),
        svg('rect', { x: labelWidth, y, width: Math.max(barWidth, row.value ? 2 : 0), height: barHeight, class: 'bar' }),
        svg('text', { x: labelWidth + barWidth + 6, y: y + barHeight * 0.7, class: 'chart-value' },
            format(row.value)));
  });
  const id = `chart-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return h('figure', { class: 'card chart-card', 'aria-labelledby': id },
      h('figcaption', { id }, h('h2', {}, title)),
      rows.length ? chart : h('p', {}, 'Nothing in this period.'),
      rows.length ? h('table', { class: 'figures' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, unit || 'Figure'))),
          h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.label),
              h('td', {}, r.text || format(r.value)))))) : null);
}
