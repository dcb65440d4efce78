#include "services/common/resource_size.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace carebridge {

absl::Status CheckSerializedSize(const google::protobuf::Message& resource,
                                 absl::string_view prefix, size_t max_bytes) {
  const size_t total = resource.ByteSizeLong();
  if (total <= max_bytes) return absl::OkStatus();
  const google::protobuf::Reflection* reflection = resource.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(resource, &fields);
  std::string largest(prefix);
  size_t largest_bytes = 0;
  for (const google::protobuf::FieldDescriptor* field : fields) {
    size_t bytes = 0;
    if (field->is_repeated() &&
        field->cpp_type() ==
            google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int i = 0; i < reflection->FieldSize(resource, field); ++i) {
        bytes +=
            reflection->GetRepeatedMessage(resource, field, i).ByteSizeLong();
      }
    } else if (field->cpp_type() ==
               google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      bytes = reflection->GetMessage(resource, field).ByteSizeLong();
    } else if (field->cpp_type() ==
                   google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
               !field->is_repeated()) {
      bytes = reflection->GetString(resource, field).size();
    }
    if (bytes > largest_bytes) {
      largest_bytes = bytes;
      largest = absl::StrCat(prefix, ".", field->name());
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      largest, ": the ", prefix, " would be ", total, " bytes, more than the ",
      max_bytes, " one version may hold; this field is the largest (",
      largest_bytes, " bytes): shorten it"));
}

}  // namespace carebridge
