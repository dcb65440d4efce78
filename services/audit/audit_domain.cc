#include "services/audit/audit_domain.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/resource_size.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"

namespace carebridge::audit {
namespace {

// A record found in one log.
struct Found {
  const AuditLogRef* log;
  AuditRecord record;
};

// Newest first; ties (the same microsecond in two logs) by log, then seq.
bool Newer(const Found& a, const Found& b) {
  if (a.record.time != b.record.time) return a.record.time > b.record.time;
  if (a.log->name != b.log->name) return a.log->name < b.log->name;
  return a.record.seq > b.record.seq;
}

v1::Access ToProto(const Found& found) {
  const AuditRecord& r = found.record;
  v1::Access access;
  *access.mutable_time() = ToProtoTimestamp(r.time);
  access.set_actor(r.actor);
  access.set_team(r.team);
  access.set_role(r.role);
  access.set_on_behalf_of(r.on_behalf_of);
  access.set_method(r.method);
  access.set_resource(r.resource);
  access.set_sections(r.sections);
  access.set_reason(r.reason);
  access.set_outcome(r.outcome);
  access.set_log(found.log->name);
  access.set_sequence(r.seq);
  return access;
}

// The page token's cursor: per log, the seq to continue below (`careplan=17`;
// a log not named starts from its newest record, `-` marks one finished).
using Cursor = std::map<std::string, int64_t>;
constexpr int64_t kFinished = -1;

absl::StatusOr<Cursor> DecodeCursor(const std::string& token,
                                    const std::string& person) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts,
                   DecodePageToken(token, person));
  Cursor cursor;
  for (const std::string& part : parts) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    int64_t seq = 0;
    if (kv.second == "-") {
      seq = kFinished;
    } else if (!absl::SimpleAtoi(kv.second, &seq) || seq <= 0) {
      return errors::BadPageToken();
    }
    cursor[kv.first] = seq;
  }
  return cursor;
}

std::string EncodeCursor(const Cursor& cursor, const std::string& person) {
  std::vector<std::string> parts;
  for (const auto& [log, seq] : cursor) {
    parts.push_back(
        absl::StrCat(log, "=", seq == kFinished ? "-" : absl::StrCat(seq)));
  }
  return EncodePageToken(person, parts);
}

}  // namespace

absl::StatusOr<v1::VerifyAuditLogsResponse> AuditDomain::VerifyAuditLogs(
    const Principal& caller) {
  NoteAuditedAccess(own_log_);
  if (!caller.is_admin()) {
    return errors::PermissionDenied(
        absl::StrCat("VerifyAuditLogs: only admins may verify the audit "
                     "logs; ",
                     caller.subject, " is ", RoleName(caller.role)));
  }
  v1::VerifyAuditLogsResponse response;
  response.set_intact(true);
  for (const AuditLogRef& log : logs_()) {
    // How long it took is wall time, whatever the service's clock says.
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(AuditVerification verified, log.db->VerifyAudit());
    v1::AuditLogVerification* out = response.add_logs();
    out->set_log(log.name);
    out->set_records(verified.records);
    out->set_checkpoints(verified.checkpoints);
    out->set_head_sequence(verified.head_seq);
    out->set_head_hash(verified.head_hash_hex);
    out->set_intact(verified.intact());
    for (const std::string& problem : verified.problems) {
      out->add_problems(problem);
    }
    *out->mutable_took() = ToProtoDuration(absl::Now() - start);
    if (!verified.intact()) response.set_intact(false);
  }
  return response;
}

absl::Status AuditDomain::RequireAccessListReader(const Principal& caller,
                                                  const std::string& person) {
  if (caller.is_admin() || caller.is_person(person)) return absl::OkStatus();
  if (caller.is_clinical()) {
    ASSIGN_OR_RETURN(careplan_client::CareTeamView view,
                     lookup_->GetCareTeam(person));
    if (!view.lead_team.empty() && view.lead_team == caller.team) {
      return absl::OkStatus();
    }
  }
  return errors::PermissionDenied(absl::StrCat(
      "ListAccesses: only ", person,
      ", their lead team and admins may see "
      "who accessed their record; ",
      caller.subject, " (", RoleName(caller.role),
      caller.team.empty() ? "" : " of ", caller.team, ") may not"));
}

absl::StatusOr<v1::ListAccessesResponse> AuditDomain::ListAccesses(
    const Principal& caller, const v1::ListAccessesRequest& request) {
  NoteAuditedAccess(own_log_);
  RETURN_IF_ERROR(
      ParseResourceName("person", request.person(), "persons").status());
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  ASSIGN_OR_RETURN(Cursor cursor,
                   DecodeCursor(request.page_token(), request.person()));
  RETURN_IF_ERROR(RequireAccessListReader(caller, request.person()));

  // Up to a page and one more from each log, then the newest page of all.
  std::vector<AuditLogRef> logs = logs_();
  std::vector<Found> found;
  // Per log asked: how many records were read (at most a page and one).
  std::map<std::string, size_t> read;
  for (const AuditLogRef& log : logs) {
    auto it = cursor.find(log.name);
    const int64_t before = it == cursor.end() ? 0 : it->second;
    if (before == kFinished) continue;
    ASSIGN_OR_RETURN(
        std::vector<AuditRecord> records,
        log.db->ListAuditForPerson(request.person(), before, page_size + 1));
    read[log.name] = records.size();
    for (AuditRecord& record : records) {
      found.push_back(Found{&log, std::move(record)});
    }
  }
  std::sort(found.begin(), found.end(), Newer);
  v1::ListAccessesResponse response;
  Cursor next = cursor;
  std::map<std::string, size_t> taken;
  // At most kMaxListPageBytes of them (at least one): a page of the
  // largest records (a list's, naming every item it showed) fits a default
  // client; the rest follow on the next.
  ListPageBudget budget;
  for (size_t i = 0; i < found.size() && i < static_cast<size_t>(page_size);
       ++i) {
    v1::Access access = ToProto(found[i]);
    if (!budget.Takes(access.ByteSizeLong())) break;
    *response.add_accesses() = std::move(access);
    next[found[i].log->name] = found[i].record.seq;
    ++taken[found[i].log->name];
  }
  // A log read beyond what was shown has more; one that was not is done.
  bool any_left = false;
  for (const auto& [name, count] : read) {
    if (taken[name] < count) {
      any_left = true;
    } else {
      next[name] = kFinished;
    }
  }
  if (any_left) {
    response.set_next_page_token(EncodeCursor(next, request.person()));
  }
  return response;
}

}  // namespace carebridge::audit
