// The AIP paths of the JSON API: standard and custom methods resolved from
// the path by the resource's collection, so every service's methods that
// follow the naming (List{Resources}, Create{Resource}, Update{Resource},
// {Verb}{Resource}) are reachable without a route per method.
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/json_util.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/http/json_gateway.h"

namespace carebridge::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

struct Collection {
  const char* name;      // "referrals"
  const char* service;   // its service's full name
  const char* singular;  // "Referral"
  const char* plural;    // "Referrals"
};

constexpr Collection kCollections[] = {
    {"teams", "carebridge.directory.v1.DirectoryService", "Team", "Teams"},
    {"members", "carebridge.directory.v1.DirectoryService", "Member",
     "Members"},
    {"persons", "carebridge.directory.v1.DirectoryService", "Person",
     "Persons"},
    {"referrals", "carebridge.referral.v1.ReferralService", "Referral",
     "Referrals"},
    {"handovers", "carebridge.handover.v1.HandoverService", "Handover",
     "Handovers"},
};

const Collection* CollectionNamed(absl::string_view name) {
  for (const Collection& collection : kCollections) {
    if (name == collection.name) return &collection;
  }
  return nullptr;
}

const MethodDescriptor* MethodOf(const Collection& collection,
                                 const std::string& method) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          collection.service);
  return service == nullptr ? nullptr : service->FindMethodByName(method);
}

const FieldDescriptor* FieldNamed(const Descriptor& type,
                                  absl::string_view name) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

// The request field holding a resource of `type` (CreateTeamRequest.team).
const FieldDescriptor* ResourceField(const Descriptor& request,
                                     absl::string_view singular) {
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor* field = request.field(i);
    if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
        field->message_type()->name() == singular) {
      return field;
    }
  }
  return nullptr;
}

// Sets the query parameter `name` = `value` on `request`.
absl::Status SetParam(Message& request, const std::string& name,
                      const std::string& value) {
  const FieldDescriptor* field = FieldNamed(*request.GetDescriptor(), name);
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("query parameter `", name, "` is not a field of ",
                     request.GetDescriptor()->full_name()));
  }
  const google::protobuf::Reflection* reflection = request.GetReflection();
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter `", name, "`: `", value, "` is not ", what));
  };
  if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
      field->message_type()->full_name() == "google.protobuf.FieldMask") {
    auto* mask = static_cast<google::protobuf::FieldMask*>(
        reflection->MutableMessage(&request, field));
    for (absl::string_view path : absl::StrSplit(value, ',')) {
      // updateMask paths in JSON are lowerCamelCase; the API's are
      // snake_case.
      std::string snake;
      for (char c : path) {
        if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
          snake += '_';
          snake += absl::ascii_tolower(static_cast<unsigned char>(c));
        } else {
          snake += c;
        }
      }
      mask->add_paths(snake);
    }
    return absl::OkStatus();
  }
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? reflection->AddString(&request, field, value)
               : reflection->SetString(&request, field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t number = 0;
      if (!absl::SimpleAtoi(value, &number)) return bad("a whole number");
      repeated ? reflection->AddInt32(&request, field, number)
               : reflection->SetInt32(&request, field, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t number = 0;
      if (!absl::SimpleAtoi(value, &number)) return bad("a whole number");
      repeated ? reflection->AddInt64(&request, field, number)
               : reflection->SetInt64(&request, field, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool flag = false;
      if (!absl::SimpleAtob(value, &flag)) return bad("true or false");
      repeated ? reflection->AddBool(&request, field, flag)
               : reflection->SetBool(&request, field, flag);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* enum_value =
          field->enum_type()->FindValueByName(value);
      if (enum_value == nullptr) {
        return bad(absl::StrCat("a ", field->enum_type()->name()));
      }
      repeated ? reflection->AddEnum(&request, field, enum_value)
               : reflection->SetEnum(&request, field, enum_value);
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter `", name, "` cannot be given in the query"));
  }
}

absl::Status ParseJson(absl::string_view body, Message& message) {
  if (body.empty()) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message,
      options);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the body is not a ", message.GetDescriptor()->full_name(),
                   " in JSON: ", parsed.message().as_string()));
}

std::string Capitalized(absl::string_view verb) {
  std::string out(verb);
  if (!out.empty()) out[0] = absl::ascii_toupper(out[0]);
  return out;
}

}  // namespace

HttpReply JsonGateway::Rest(
    absl::string_view http_method, absl::string_view path,
    const std::multimap<std::string, std::string>& params,
    absl::string_view body, const CallHeaders& headers) const {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  const Collection* collection =
      parts.empty() ? nullptr : CollectionNamed(parts[0]);
  std::string verb;
  if (parts.size() == 2) {
    size_t colon = parts[1].find(':');
    if (colon != std::string::npos) {
      verb = parts[1].substr(colon + 1);
      parts[1].resize(colon);
    }
  }
  std::string method_name;
  bool collection_level = parts.size() == 1;
  if (collection != nullptr && parts.size() <= 2 &&
      (collection_level || !parts[1].empty())) {
    if (http_method == "GET" && collection_level) {
      method_name = absl::StrCat("List", collection->plural);
    } else if (http_method == "POST" && collection_level) {
      method_name = absl::StrCat("Create", collection->singular);
    } else if (http_method == "PATCH" && !collection_level && verb.empty()) {
      method_name = absl::StrCat("Update", collection->singular);
    } else if (http_method == "POST" && !collection_level && !verb.empty()) {
      method_name = absl::StrCat(Capitalized(verb), collection->singular);
    }
  }
  const MethodDescriptor* method =
      method_name.empty() ? nullptr : MethodOf(*collection, method_name);
  if (method == nullptr) {
    return ErrorReply(absl::NotFoundError(absl::StrCat(
        "no method for ", http_method, " /v1/", path,
        method_name.empty() ? "" : absl::StrCat(" (", method_name, ")"),
        "; see the README's JSON API, or POST /v1/{package.Service}/"
        "{Method}")));
  }
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  const std::string name =
      collection_level ? "" : absl::StrCat(parts[0], "/", parts[1]);
  const FieldDescriptor* resource =
      ResourceField(*method->input_type(), collection->singular);
  absl::Status status;
  if ((method_name.rfind("Create", 0) == 0 ||
       method_name.rfind("Update", 0) == 0) &&
      resource != nullptr) {
    // The body is the resource.
    Message* target =
        request->GetReflection()->MutableMessage(request.get(), resource);
    status = ParseJson(body, *target);
    if (status.ok() && !name.empty()) {
      const FieldDescriptor* name_field =
          target->GetDescriptor()->FindFieldByName("name");
      if (name_field != nullptr) {
        target->GetReflection()->SetString(target, name_field, name);
      }
    }
  } else {
    // The body is the request (custom methods); the name is the path's.
    status = ParseJson(body, *request);
    const FieldDescriptor* name_field =
        method->input_type()->FindFieldByName("name");
    if (status.ok() && !name.empty() && name_field != nullptr) {
      request->GetReflection()->SetString(request.get(), name_field, name);
    }
  }
  if (!status.ok()) return ErrorReply(status);
  for (const auto& [param, value] : params) {
    if (param == "name") {
      return ErrorReply(absl::InvalidArgumentError(
          "query parameter `name`: the path names the resource"));
    }
    status = SetParam(*request, param, value);
    if (!status.ok()) return ErrorReply(status);
  }
  return Invoke(*method, *request, headers);
}

}  // namespace carebridge::http
