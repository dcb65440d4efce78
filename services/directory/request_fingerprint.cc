#include "services/directory/request_fingerprint.h"

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"

namespace carebridge::directory {
namespace {

// `resource` has its output-only fields cleared already.
absl::StatusOr<std::string> Digest(google::protobuf::Message& resource) {
  resource.DiscardUnknownFields();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    resource.SerializeToCodedStream(&out);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &digest_size, EVP_sha256(),
                 /*impl=*/nullptr) != 1) {
    return absl::InternalError("request fingerprint: SHA-256 failed");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
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
  return Digest(input);
}

}  // namespace carebridge::directory
