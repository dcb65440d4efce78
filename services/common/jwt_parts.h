#ifndef CAREBRIDGE_SERVICES_COMMON_JWT_PARTS_H_
#define CAREBRIDGE_SERVICES_COMMON_JWT_PARTS_H_

#include <google/protobuf/struct.pb.h>

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// Reading the parts of a compact JSON Web Token (RFC 7519): what carebridge's
// own tokens and an identity provider's share.
namespace carebridge::jwt {

// Decodes unpadded base64url, refusing a string that is not exactly what
// encoding its bytes gives: the bits a last character leaves over must be
// zero, so no two strings are one token.
bool CanonicalBase64(absl::string_view part, std::string* bytes);

// The JSON object a token part (`name`: header or payload) encodes;
// UNAUTHENTICATED "bearer token is malformed: ..." when it is not one.
absl::StatusOr<google::protobuf::Struct> DecodePart(absl::string_view part,
                                                    absl::string_view name);

// The claim `name`; null when absent.
const google::protobuf::Value* Field(const google::protobuf::Struct& object,
                                     const std::string& name);
// A string claim; false when absent or not a string.
bool StringClaim(const google::protobuf::Struct& object,
                 const std::string& name, std::string* value);
// A NumericDate claim (whole seconds since the epoch, not negative); false
// when absent or not such a number.
bool TimeClaim(const google::protobuf::Struct& object, const std::string& name,
               absl::Time* value);

// A string claim, or "" when absent or not a string.
std::string StringOf(const google::protobuf::Struct& object,
                     const std::string& name);

// Reads a JSON Web Key Set (RFC 7517) and calls `each` with every key
// object and where it is (`keys[3]`). INVALID_ARGUMENT for a set that is
// not `{"keys":[{...}, ...]}`; else the first error `each` returns.
absl::Status ForEachJwk(
    absl::string_view json,
    absl::FunctionRef<absl::Status(const google::protobuf::Struct& jwk,
                                   std::string where)>
        each);

// UNAUTHENTICATED "bearer token is malformed: <what>".
absl::Status Malformed(absl::string_view what);

}  // namespace carebridge::jwt

#endif  // CAREBRIDGE_SERVICES_COMMON_JWT_PARTS_H_
