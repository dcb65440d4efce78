#include "services/directory/request_fingerprint.h"

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/common/fingerprint.h"

namespace carebridge::directory {
namespace {

// `resource` has its output-only fields cleared already.
absl::StatusOr<std::string> Digest(google::protobuf::Message& resource) {
  resource.DiscardUnknownFields();
  return Sha256Hex(DeterministicBytes(resource));
}

}  // namespace

absl::StatusOr<std::string> CreateFingerprint(const v1::Team& team) {
  v1::Team input = team;
  input.clear_name();
  input.clear_create_time();
  input.clear_update_time();
  input.clear_etag();
  return Digest(input);
}

absl::StatusOr<std::string> CreateFingerprint(const v1::Member& member) {
  v1::Member input = member;
  input.clear_name();
  input.clear_create_time();
  input.clear_etag();
  return Digest(input);
}

absl::StatusOr<std::string> CreateFingerprint(const v1::Person& person) {
  v1::Person input = person;
  input.clear_name();
  input.clear_create_time();
  input.clear_update_time();
  input.clear_etag();
  input.clear_tokens_valid_after();
  input.clear_tokens_valid_after_reason();
  return Digest(input);
}

}  // namespace carebridge::directory
