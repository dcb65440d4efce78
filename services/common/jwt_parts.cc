#include "services/common/jwt_parts.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge::jwt {

bool CanonicalBase64(absl::string_view part, std::string* bytes) {
  return absl::WebSafeBase64Unescape(part, bytes) &&
         absl::WebSafeBase64Escape(*bytes) == part;
}

std::string StringOf(const google::protobuf::Struct& object,
                     const std::string& name) {
  std::string value;
  StringClaim(object, name, &value);
  return value;
}

absl::Status ForEachJwk(
    absl::string_view json,
    absl::FunctionRef<absl::Status(const google::protobuf::Struct& jwk,
                                   std::string where)>
        each) {
  google::protobuf::Struct document;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(json.data(), json.size()), &document)
           .ok()) {
    return absl::InvalidArgumentError("key set is not a JSON object");
  }
  const google::protobuf::Value* keys = Field(document, "keys");
  if (keys == nullptr || !keys->has_list_value()) {
    return absl::InvalidArgumentError("key set has no `keys` list");
  }
  int index = 0;
  for (const google::protobuf::Value& value : keys->list_value().values()) {
    std::string where = absl::StrCat("keys[", index++, "]");
    if (!value.has_struct_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is not an object"));
    }
    absl::Status status = each(value.struct_value(), std::move(where));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status Malformed(absl::string_view what) {
  return errors::Unauthenticated(
      absl::StrCat("bearer token is malformed: ", what));
}

absl::StatusOr<google::protobuf::Struct> DecodePart(absl::string_view part,
                                                    absl::string_view name) {
  std::string json;
  google::protobuf::Struct object;
  if (!CanonicalBase64(part, &json) ||
      !google::protobuf::util::JsonStringToMessage(json, &object).ok()) {
    return Malformed(absl::StrCat("its ", name, " is not base64url JSON"));
  }
  return object;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& object,
                                     const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

bool StringClaim(const google::protobuf::Struct& object,
                 const std::string& name, std::string* value) {
  const google::protobuf::Value* field = Field(object, name);
  if (field == nullptr || !field->has_string_value()) return false;
  *value = field->string_value();
  return true;
}

bool TimeClaim(const google::protobuf::Struct& object, const std::string& name,
               absl::Time* value) {
  const google::protobuf::Value* field = Field(object, name);
  if (field == nullptr ||
      field->kind_case() != google::protobuf::Value::kNumberValue ||
      !(field->number_value() >= 0 && field->number_value() < 1e12)) {
    return false;
  }
  *value = absl::FromUnixSeconds(static_cast<int64_t>(field->number_value()));
  return true;
}

}  // namespace carebridge::jwt
