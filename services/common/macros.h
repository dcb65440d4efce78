#ifndef CAREBRIDGE_SERVICES_COMMON_MACROS_H_
#define CAREBRIDGE_SERVICES_COMMON_MACROS_H_

// Early-return helpers for absl::Status / absl::StatusOr, built on Abseil
// alone.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CB_CONCAT_INNER_(a, b) a##b
#define CB_CONCAT_(a, b) CB_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status cb_status_ = (expr);      \
    if (!cb_status_.ok()) return cb_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(T x, StatusOrExpr)` assigns the value or returns the
// error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CB_ASSIGN_OR_RETURN_IMPL_(CB_CONCAT_(cb_statusor_, __LINE__), lhs, expr)

#define CB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // CAREBRIDGE_SERVICES_COMMON_MACROS_H_
