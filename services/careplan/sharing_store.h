#ifndef CAREBRIDGE_SERVICES_CAREPLAN_SHARING_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_SHARING_STORE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// Persists each person's sharing choices as a chain of immutable versions,
// keyed by the person's id (`p1` of `persons/p1`). The choices stored are
// the whole resource at that version, without `name`, `etag` or
// `effective` (they are presented). Every method is atomic;
// implementations must be thread-safe.
class SharingStore {
 public:
  virtual ~SharingStore() = default;

  // The newest version; nullopt when the person never made a choice.
  virtual absl::StatusOr<std::optional<v1::SharingChoices>> GetCurrent(
      absl::string_view person_id) = 0;

  // Appends `choices` as version `choices.version()`, which must be exactly
  // one after the newest stored (1 for the first): else ABORTED and nothing
  // is stored. `teams` are those to be told (the care team now), where the
  // store announces changes (a careplan.sharing_changed event).
  virtual absl::Status Append(absl::string_view person_id,
                              const v1::SharingChoices& choices,
                              const std::vector<std::string>& teams) = 0;

  // Up to `limit` versions, newest first, below `before_version`
  // (exclusive; 0 starts at the newest).
  virtual absl::StatusOr<std::vector<v1::SharingChoices>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) = 0;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_SHARING_STORE_H_
