#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_GAPS_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_GAPS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/common/care_gap_thresholds.h"
#include "services/record/record_projection.h"

namespace carebridge::record {

// When a cause becomes a gap (a deployment's setting).
using GapSettings = CareGapThresholds;

// What the gaps of one person are judged on, all from the record's own
// projections.
struct GapInputs {
  std::string person_id;
  // The person's referral steps (REFERRAL entries), oldest first.
  std::vector<TimelineRow> referral_steps;
  std::vector<v1::OpenLoop> open_loops;
  // The care plan part of the summary; nullopt when there is no plan.
  std::optional<v1::CareSummary> plan;
  // Since when the plan is not agreed (unset when agreed), and since when
  // nobody leads after the lead left (unset when someone leads).
  std::optional<absl::Time> unagreed_since;
  std::optional<absl::Time> no_lead_since;
  // The team that led until then (empty when not known: a record built
  // before it was kept), whose list NO_LEAD is on with the care team's.
  std::string former_lead;
  // The teams known to be crisis teams (directory sector CRISIS).
  absl::flat_hash_set<std::string> crisis_teams;
  // The person's break-glass steps (BREAK_GLASS entries: accesses opened
  // and reviewed), oldest first; read only when GapScope::break_glass asks.
  std::vector<TimelineRow> break_glass_steps;
};

// A gap the inputs say should exist (it is open once `open_time` has
// passed). Identified per person by (kind, subject).
struct WantedGap {
  v1::GapKind kind = v1::GAP_KIND_UNSPECIFIED;
  std::string subject;
  std::string detail;
  absl::Time open_time;
  std::vector<std::string> teams;

  bool operator==(const WantedGap& other) const;
};

// Which of a person's gaps are judged again after a change. Every kind but
// two is judged on little (the person's answers to referrals, their plan,
// the crisis teams), so it is judged at each change that may alter gaps,
// which also brings in new thresholds and a team's new sector then. An
// overdue answer is judged on its own open loop alone, with no threshold,
// and a person may have hundreds of loops: only those of the loops the
// change touched are judged again (all of them for a merge). Applying an
// event then costs what it changed: a person with hundreds of referrals had
// every loop and open gap of theirs read back for each new one. An
// unreviewed break-glass access is judged on the person's break-glass
// steps, which no index finds (the person's whole timeline is walked), and
// on the lead: only at a break-glass step or a merge, and at a new plan
// version (the lead may have changed) only while one of the person's
// accesses is still unreviewed (it has an open gap).
struct GapScope {
  // When BREAK_GLASS_NOT_REVIEWED is judged again.
  enum class BreakGlass {
    kNo,
    // Only while the person has an open gap of that kind (else none is
    // wanted either): the steps are read only then.
    kWhileUnreviewed,
    kYes,
  };

  // Whether the change may alter gaps at all.
  bool judged = false;
  // Every open loop's overdue answer (a merge brings another person's in).
  bool all_loops = false;
  // The referrals and handovers whose overdue answer is judged again.
  std::vector<std::string> loops;
  BreakGlass break_glass = BreakGlass::kNo;

  // Whether a gap of `kind` about `subject` is judged again.
  bool Covers(v1::GapKind kind, absl::string_view subject) const;
};

// The gaps `inputs` call for, by the rules in record.proto (GapKind).
std::vector<WantedGap> WantedGaps(const GapInputs& inputs,
                                  const GapSettings& settings);

// A gap's key within its person: kind, open time and the subject, so the
// record built incrementally and one rebuilt from the feeds name it alike
// (`review_overdue-1781481600000000-0a1b2c3d`; the store may add `-N` when
// a closed gap took the key).
std::string GapKey(const WantedGap& gap);

// The kind a gap's name (`persons/{id}/careGaps/{key}`) or key names;
// GAP_KIND_UNSPECIFIED when it names none.
v1::GapKind GapKindOfName(absl::string_view name);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_GAPS_H_
