#include "services/common/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace carebridge {
namespace {

// Returns the number of code points, or -1 when `s` is not valid UTF-8
// (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF,
// which protobuf would refuse to parse back).
long Utf8Length(absl::string_view s) {
  long count = 0;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    // The range the second byte must fall in; later bytes are 80..BF.
    unsigned char low = 0x80, high = 0xBF;
    if (c < 0x80) {
      extra = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return -1;
    }
    if (s.size() - i <= extra) return -1;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return -1;
    }
    i += extra + 1;
    ++count;
  }
  return count;
}

}  // namespace

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_chars) {
  if (value.size() > max_chars * 4) return errors::TooLong(field, max_chars);
  long length = Utf8Length(value);
  if (length < 0) return errors::Invalid(field, "must be valid UTF-8");
  // Valid UTF-8, but no text a person writes, and PostgreSQL's TEXT cannot
  // hold it: refused on every engine alike.
  if (value.find('\0') != absl::string_view::npos) {
    return errors::Invalid(field, "must not contain NUL characters (U+0000)");
  }
  if (static_cast<size_t>(length) > max_chars) {
    return errors::TooLong(field, max_chars);
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredText(absl::string_view field, absl::string_view value,
                               size_t max_chars) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    return errors::MustBeSet(field);
  }
  return CheckText(field, value, max_chars);
}

absl::Status CheckRequestId(absl::string_view field, absl::string_view value) {
  if (value.size() > kMaxRequestIdChars) {
    return errors::TooLong(field, kMaxRequestIdChars);
  }
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) {
      return errors::Invalid(field, "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseResourceName(absl::string_view field,
                                              absl::string_view value,
                                              absl::string_view collection) {
  if (value.empty()) return errors::MustBeSet(field);
  std::string pattern = absl::StrCat(collection, "/{id}");
  std::string prefix = absl::StrCat(collection, "/");
  if (value.size() <= prefix.size() ||
      value.substr(0, prefix.size()) != prefix) {
    return errors::BadResourceName(field, value, pattern);
  }
  absl::string_view id = value.substr(prefix.size());
  if (id.size() > 64) return errors::BadResourceName(field, value, pattern);
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_';
    if (!ok) return errors::BadResourceName(field, value, pattern);
  }
  return std::string(id);
}

absl::StatusOr<int> CheckPageSize(absl::string_view field, int page_size,
                                  int default_size, int max_size) {
  if (page_size < 0) return errors::Invalid(field, "must not be negative");
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : page_size;
}

}  // namespace carebridge
