#include "services/common/call_audit.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "services/common/database.h"
#include "services/common/errors.h"

namespace carebridge {
namespace {

thread_local CallAudit* current_call_audit = nullptr;

std::string StringField(const google::protobuf::Message& message,
                        const char* name) {
  const google::protobuf::FieldDescriptor* field =
      message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return std::string();
  }
  return message.GetReflection()->GetString(message, field);
}

// `persons/{id}` when `resource` is that person or under it.
std::string PersonOf(absl::string_view resource) {
  if (!absl::StartsWith(resource, "persons/")) return std::string();
  std::vector<absl::string_view> parts =
      absl::StrSplit(resource, absl::MaxSplits('/', 2));
  // `persons/-` (every person's, AIP-159) is nobody's: a call naming it
  // notes the persons it returned.
  if (parts.size() < 2 || parts[1].empty() || parts[1] == "-") {
    return std::string();
  }
  return absl::StrCat(parts[0], "/", parts[1]);
}

}  // namespace

CallAudit* CurrentCallAudit() { return current_call_audit; }

ScopedCallAudit::ScopedCallAudit(CallAudit* audit)
    : previous_(current_call_audit) {
  current_call_audit = audit;
}

ScopedCallAudit::~ScopedCallAudit() { current_call_audit = previous_; }

void NoteAuditedAccess(Database* db) {
  CallAudit* audit = CurrentCallAudit();
  if (db == nullptr || audit == nullptr || audit->sink != nullptr ||
      !db->audited()) {
    return;
  }
  audit->sink = db;
}

void NoteAuditedPersons(const std::vector<std::string>& persons) {
  CallAudit* audit = CurrentCallAudit();
  if (audit == nullptr) return;
  for (const std::string& person : persons) {
    if (audit->record.person.empty()) {
      audit->record.person = person;
    } else if (person != audit->record.person &&
               std::find(audit->more_persons.begin(), audit->more_persons.end(),
                         person) == audit->more_persons.end()) {
      audit->more_persons.push_back(person);
    }
  }
}

std::vector<AuditRecord> AuditRecordsOf(const CallAudit& audit) {
  std::vector<AuditRecord> records;
  records.reserve(1 + audit.more_persons.size());
  records.push_back(audit.record);
  for (const std::string& person : audit.more_persons) {
    records.push_back(audit.record);
    records.back().person = person;
  }
  for (AuditRecord& record : records) {
    auto own = audit.sections_of_person.find(record.person);
    if (own != audit.sections_of_person.end()) record.sections = own->second;
  }
  return records;
}

std::vector<AuditRecord> RecordsCarriedByWrite(const CallAudit& audit,
                                               bool changed) {
  if (!changed) return {};
  std::vector<AuditRecord> records = AuditRecordsOf(audit);
  for (AuditRecord& record : records) record.outcome = "OK";
  return records;
}

void NoteAuditedSections(absl::string_view sections) {
  CallAudit* audit = CurrentCallAudit();
  if (audit == nullptr || audit->written) return;
  audit->record.sections = std::string(sections);
}

void NoteAuditedSectionsOf(absl::string_view person,
                           absl::string_view sections) {
  CallAudit* audit = CurrentCallAudit();
  if (audit == nullptr || audit->written) return;
  NoteAuditedPersons({std::string(person)});
  audit->sections_of_person[std::string(person)] = std::string(sections);
}

std::string OnBehalfOfText(const Requester& requester) {
  if (requester.subject.empty()) return std::string();
  if (requester.team.empty()) {
    return absl::StrCat(requester.subject, " (", requester.role, ")");
  }
  return absl::StrCat(requester.subject, " (", requester.team, ", ",
                      requester.role, ")");
}

void SetOnBehalfOf(CallAudit& audit, Requester requester) {
  audit.record.on_behalf_of = OnBehalfOfText(requester);
  audit.requester = std::move(requester);
}

void NoteAuditReason(absl::string_view reason) {
  CallAudit* audit = CurrentCallAudit();
  if (audit == nullptr) return;
  audit->record.reason = std::string(reason);
}

void NoteAuditedPerson(absl::string_view person) {
  CallAudit* audit = CurrentCallAudit();
  if (audit == nullptr || !audit->record.person.empty()) return;
  audit->record.person = std::string(person);
}

CallAudit BeginCallAudit(const Principal& caller, absl::Time now,
                         const google::protobuf::Message& request) {
  CallAudit audit;
  AuditRecord& record = audit.record;
  record.time = now;
  record.actor = caller.subject;
  record.team = caller.team;
  record.role = std::string(RoleName(caller.role));
  if (!caller.is_service() && caller.role != Role::kUnspecified) {
    audit.requester = Requester{caller.subject, caller.team, record.role};
  }
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  record.method = absl::StrCat(type->file()->package(), ".",
                               absl::StripSuffix(type->name(), "Request"));
  for (const char* field : {"name", "parent", "person"}) {
    record.resource = StringField(request, field);
    if (!record.resource.empty()) break;
  }
  // A write names its resource inside the message it writes
  // (`care_plan.name`, `referral.person`).
  for (int i = 0; record.resource.empty() && i < type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
        field->is_repeated() ||
        !request.GetReflection()->HasField(request, field)) {
      continue;
    }
    const google::protobuf::Message& inner =
        request.GetReflection()->GetMessage(request, field);
    for (const char* name : {"name", "person"}) {
      record.resource = StringField(inner, name);
      if (!record.resource.empty()) break;
    }
  }
  record.person = PersonOf(record.resource);
  if (record.person.empty()) record.person = StringField(request, "person");
  return audit;
}

namespace {

// Completes the record of a call that ended with `status`: one that
// failed returned none of the sections it may have noted on the way.
void CompleteRecord(CallAudit& audit, const absl::Status& status,
                    const google::protobuf::Message* response) {
  AuditRecord& record = audit.record;
  if (record.person.empty() && response != nullptr) {
    record.person = PersonOf(StringField(*response, "person"));
  }
  if (!status.ok()) {
    record.sections.clear();
    audit.sections_of_person.clear();
  }
  record.outcome = absl::StatusCodeToString(status.code());
}

// What the caller gets: `status`, or errors::AuditRecordNotWritten.
absl::Status AfterWrite(const absl::Status& status,
                        const absl::Status& written) {
  if (written.ok()) return status;
  return errors::AuditRecordNotWritten("this access", "nothing was returned",
                                       "try again", written);
}

}  // namespace

absl::Status FinishCallAudit(CallAudit& audit, const absl::Status& status,
                             const google::protobuf::Message* response) {
  if (audit.written || audit.sink == nullptr) return status;
  CompleteRecord(audit, status, response);
  absl::Status written = audit.sink->AppendAudit(AuditRecordsOf(audit));
  audit.written = written.ok();
  return AfterWrite(status, written);
}

void FinishCallAuditAsync(CallAudit& audit, const absl::Status& status,
                          const google::protobuf::Message* response,
                          absl::AnyInvocable<void(absl::Status)> done) {
  if (audit.written || audit.sink == nullptr) {
    std::move(done)(status);
    return;
  }
  CompleteRecord(audit, status, response);
  audit.sink->AppendAuditAsync(
      AuditRecordsOf(audit),
      [status, done = std::move(done)](absl::Status written) mutable {
        std::move(done)(AfterWrite(status, written));
      });
}

}  // namespace carebridge
