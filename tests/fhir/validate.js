// Validates FHIR R4 resources with an independent validator (the `fhir`
// package): each file named on the command line holds one resource (a
// Bundle's entries are validated too). Prints every message; exits 1 when
// any is an error or a warning (an element the specification does not
// define is a warning), 0 when all are clean.
'use strict';
const fs = require('fs');
const {Fhir} = require('fhir');

const fhir = new Fhir();
let problems = 0;
let checked = 0;

function check(resource, where) {
  checked++;
  const result = fhir.validate(resource);
  for (const message of result.messages) {
    console.log(`${where}: ${message.severity}: ${message.location}: ${message.message}`);
    if (message.severity === 'error' || message.severity === 'warning') problems++;
  }
  if (resource.resourceType === 'Bundle') {
    (resource.entry || []).forEach((entry, i) => {
      check(entry.resource, `${where} entry[${i}] ${entry.resource.resourceType}`);
    });
  }
}

for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  check(resource, `${file} (${resource.resourceType})`);
}
console.log(`validated ${checked} resources: ${problems} problems`);
process.exit(problems === 0 && checked > 0 ? 0 : 1);
