#include "services/careplan/careplan_size.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace carebridge::careplan {

absl::Status CheckPlanSize(const v1::CarePlan& plan) {
  const size_t total = plan.ByteSizeLong();
  if (total <= kMaxPlanBytes) return absl::OkStatus();
  const google::protobuf::Reflection* reflection = plan.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(plan, &fields);
  std::string largest = "care_plan";
  size_t largest_bytes = 0;
  for (const google::protobuf::FieldDescriptor* field : fields) {
    size_t bytes = 0;
    if (field->is_repeated() &&
        field->cpp_type() ==
            google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int i = 0; i < reflection->FieldSize(plan, field); ++i) {
        bytes += reflection->GetRepeatedMessage(plan, field, i).ByteSizeLong();
      }
    } else if (field->cpp_type() ==
               google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      bytes = reflection->GetMessage(plan, field).ByteSizeLong();
    } else if (field->cpp_type() ==
                   google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
               !field->is_repeated()) {
      bytes = reflection->GetString(plan, field).size();
    }
    if (bytes > largest_bytes) {
      largest_bytes = bytes;
      largest = absl::StrCat("care_plan.", field->name());
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      largest, ": the plan would be ", total, " bytes, more than the ",
      kMaxPlanBytes, " one version may hold; this section is the largest (",
      largest_bytes, " bytes): shorten it"));
}

}  // namespace carebridge::careplan
