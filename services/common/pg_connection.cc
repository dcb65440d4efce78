// PgConnection and its statements (libpq): binds, results, errors as
// statuses, announcements. PgDb (pg_db.cc) pools them.

#include "services/common/pg_connection.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"

namespace carebridge {

namespace {

// Type OIDs (pg_type.h is a server header).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

// `$n` appears in `sql` only as `$n IS ...` (`IS NULL`, `IS NOT NULL`,
// `IS DISTINCT FROM`): nothing gives a NULL bound there a type.
bool OnlyTestedForNull(absl::string_view sql, int n) {
  const std::string name = absl::StrCat("$", n);
  bool found = false;
  for (size_t at = sql.find(name); at != absl::string_view::npos;
       at = sql.find(name, at + 1)) {
    size_t end = at + name.size();
    if (end < sql.size() && absl::ascii_isdigit(sql[end])) continue;
    while (end < sql.size() && absl::ascii_isspace(sql[end])) ++end;
    if (!absl::StartsWithIgnoreCase(sql.substr(end), "is") ||
        (end + 2 < sql.size() && !absl::ascii_isspace(sql[end + 2]))) {
      return false;
    }
    found = true;
  }
  return found;
}

}  // namespace

bool IsPgConflict(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

bool IsPgConnectionLoss(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

std::string TrimmedPgMessage(const char* message) {
  return std::string(
      absl::StripAsciiWhitespace(message != nullptr ? message : ""));
}

std::string QuotedSchema(absl::string_view schema) {
  return absl::StrCat("\"", schema, "\"");
}

uint64_t StableHash(absl::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string PgChannelName(absl::string_view schema, absl::string_view channel) {
  std::string name = absl::StrCat("cb:", schema, ":", channel);
  if (name.size() <= 63) return name;
  // Too long for an identifier: hashed, with as much of the name as fits
  // for whoever reads pg_listening_channels().
  return absl::StrCat(name.substr(0, 63 - 17), "#",
                      absl::Hex(StableHash(name), absl::kZeroPad16));
}

std::string TranslatePlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int largest = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A literal or quoted identifier; a doubled quote stays inside.
      size_t end = i + 1;
      while (end < sql.size()) {
        if (sql[end] == c) {
          if (end + 1 < sql.size() && sql[end + 1] == c) {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      end = std::min(end + 1, sql.size());
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      end = end == absl::string_view::npos ? sql.size() : end;
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == absl::string_view::npos ? sql.size() : end + 2;
      out.append(sql.data() + i, end - i);
      i = end;
    } else if (c == '?') {
      size_t digits = i + 1;
      while (digits < sql.size() && absl::ascii_isdigit(sql[digits])) {
        ++digits;
      }
      int number = 0;
      if (digits > i + 1 &&
          absl::SimpleAtoi(sql.substr(i + 1, digits - i - 1), &number)) {
        largest = std::max(largest, number);
      } else {
        number = ++largest;
      }
      absl::StrAppend(&out, "$", number);
      i = digits;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// --- PgConnection ---

absl::Status PgConnection::ErrorOf(const PGresult* result,
                                   absl::string_view what) {
  const char* state = result != nullptr
                          ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                          : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  std::string message = TrimmedPgMessage(
      result != nullptr ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = TrimmedPgMessage(PQerrorMessage(conn_));
  message = absl::StrCat("postgresql ", what, " (", target_, "): ", message,
                         sqlstate.empty() ? "" : " [SQLSTATE ", sqlstate,
                         sqlstate.empty() ? "" : "]");
  if (IsPgConflict(sqlstate)) {
    conflicted_ = true;
    return absl::AbortedError(message);
  }
  if (IsPgConnectionLoss(sqlstate) || PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    return absl::UnavailableError(message);
  }
  // A statement prepared on this connection before its table changed the
  // type of a column it returns (a migration run by a newer replica): its
  // prepared statements are stale, so the pool drops the connection when
  // the call is over (the connection itself is sound: the rest of the
  // pipeline is read as usual), and the call succeeds on a fresh one when
  // retried.
  if (sqlstate == "0A000" && absl::StrContains(message, "cached plan")) {
    stale_prepared_ = true;
    return absl::UnavailableError(
        absl::StrCat(message,
                     "; a table changed under this connection's "
                     "prepared statements: retry"));
  }
  // Out of connections, memory or disk, a lock not available: retry later.
  if (absl::StartsWith(sqlstate, "53") || sqlstate == "55P03") {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

void PgConnection::NoteChanges(const PGresult* result) {
  const absl::string_view command = PQcmdStatus(const_cast<PGresult*>(result));
  int64_t changes = 0;
  if ((absl::StartsWith(command, "INSERT") ||
       absl::StartsWith(command, "UPDATE") ||
       absl::StartsWith(command, "DELETE")) &&
      absl::SimpleAtoi(PQcmdTuples(const_cast<PGresult*>(result)), &changes)) {
    changes_ = changes;
  }
}

void PgConnection::NotePossibleChange(absl::string_view sql,
                                      const PGresult* result) {
  const absl::string_view command = PQcmdStatus(const_cast<PGresult*>(result));
  const absl::string_view text = absl::StripLeadingAsciiWhitespace(sql);
  // The statement's own verb (not a WITH's), reported for it.
  auto is = [&](absl::string_view verb) {
    return absl::StartsWithIgnoreCase(text, verb) &&
           (text.size() == verb.size() ||
            !absl::ascii_isalnum(text[verb.size()])) &&
           absl::StartsWith(command, verb);
  };
  if (is("SELECT") && text.find(';') == absl::string_view::npos) return;
  int64_t rows = 0;
  if ((is("INSERT") || is("UPDATE") || is("DELETE")) &&
      absl::SimpleAtoi(PQcmdTuples(const_cast<PGresult*>(result)), &rows) &&
      rows == 0 && text.find(';') == absl::string_view::npos) {
    return;
  }
  ++possible_changes_;
}

absl::Status PgConnection::Announce(absl::string_view channel) {
  if (!writing_) {
    return absl::FailedPreconditionError(
        absl::StrCat("postgresql (", target_, "): Announce(\"", channel,
                     "\") outside a write transaction"));
  }
  if (channel == "feed") appends_to_feed_ = true;
  write_announced_.insert(PgChannelName(schema_, channel));
  return absl::OkStatus();
}

// --- PgStatement ---

// A statement with its parameters, run at the first Step; the rows are
// buffered in the result. Freed when its handle is done.
class PgStatement : public StatementImpl {
 public:
  PgStatement(PgConnection* conn, std::string sql)
      : conn_(conn), sql_(std::move(sql)) {}
  ~PgStatement() override { PQclear(result_); }

  void BindInt64(int index, int64_t value) override {
    Set(index, kInt8Oid, absl::StrCat(value), /*binary=*/false);
  }
  void BindText(int index, absl::string_view text) override {
    if (text.find('\0') != absl::string_view::npos && bind_error_.ok()) {
      bind_error_ = absl::InvalidArgumentError(absl::StrCat(
          "bind ?", index,
          ": the text holds a NUL byte, which PostgreSQL text cannot "
          "store (bind bytes as a blob)"));
    }
    Set(index, kTextOid, std::string(text), /*binary=*/false);
  }
  void BindBlob(int index, absl::string_view bytes) override {
    Set(index, kByteaOid, std::string(bytes), /*binary=*/true);
  }
  void BindNull(int index) override {
    // Unknown type: the server infers it from where the parameter stands
    // (text where nothing says, see Step).
    Set(index, 0, "", /*binary=*/false);
    nulls_[index - 1] = true;
  }

  absl::StatusOr<bool> Step() override {
    if (result_ == nullptr) {
      RETURN_IF_ERROR(ReadyToRun());
      ASSIGN_OR_RETURN(result_,
                       conn_->Execute(sql_, types_, values_, nulls_, formats_));
      row_ = 0;
    } else {
      ++row_;
    }
    return row_ < PQntuples(result_);
  }

  // For Fetch: whether it ran; its parameters typed, or its bind error.
  bool started() const { return result_ != nullptr; }
  absl::Status ReadyToRun() {
    RETURN_IF_ERROR(bind_error_);
    for (size_t i = 0; i < types_.size(); ++i) {
      // `? IS NULL` alone cannot type its parameter; text can be NULL.
      if (nulls_[i] && types_[i] == 0 &&
          OnlyTestedForNull(sql_, static_cast<int>(i) + 1)) {
        types_[i] = kTextOid;
      }
    }
    return absl::OkStatus();
  }
  PgConnection::Invocation invocation() const {
    PgConnection::Invocation run;
    run.sql = &sql_;
    run.types = &types_;
    run.values = &values_;
    run.nulls = &nulls_;
    run.formats = &formats_;
    return run;
  }
  // Its result, run by Fetch: the first Step reads the first row.
  void TakeFetched(PGresult* result) {
    PQclear(result_);
    result_ = result;
    row_ = -1;
  }

  int64_t ColumnInt64(int index) const override {
    const char* value = Value(index);
    if (value == nullptr) return 0;
    if (std::strcmp(value, "t") == 0) return 1;
    return std::strtoll(value, nullptr, 10);
  }
  std::string ColumnText(int index) const override { return Bytes(index); }
  std::string ColumnBlob(int index) const override { return Bytes(index); }
  bool ColumnIsNull(int index) const override {
    return PQgetisnull(result_, row_, index) != 0;
  }
  void Release() override { delete this; }

 private:
  void Set(int index, Oid type, std::string value, bool binary) {
    const size_t at = static_cast<size_t>(index - 1);
    if (values_.size() <= at) {
      types_.resize(at + 1, 0);
      values_.resize(at + 1);
      nulls_.resize(at + 1, true);
      formats_.resize(at + 1, 0);
    }
    types_[at] = type;
    values_[at] = std::move(value);
    nulls_[at] = false;
    formats_[at] = binary ? 1 : 0;
  }

  // Null for NULL (and past the row).
  const char* Value(int index) const {
    if (result_ == nullptr || row_ >= PQntuples(result_) ||
        PQgetisnull(result_, row_, index)) {
      return nullptr;
    }
    return PQgetvalue(result_, row_, index);
  }

  std::string Bytes(int index) const {
    const char* value = Value(index);
    if (value == nullptr) return "";
    if (PQftype(result_, index) != kByteaOid) {
      return std::string(value, PQgetlength(result_, row_, index));
    }
    size_t length = 0;
    unsigned char* bytes =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
    if (bytes == nullptr) return "";
    std::string out(reinterpret_cast<const char*>(bytes), length);
    PQfreemem(bytes);
    return out;
  }

  PgConnection* const conn_;
  const std::string sql_;
  std::vector<Oid> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;
  absl::Status bind_error_;
  PGresult* result_ = nullptr;
  int row_ = 0;
};

absl::StatusOr<Statement> PgConnection::Prepare(absl::string_view sql) {
  return Statement(new PgStatement(this, TranslatePlaceholders(sql)));
}

absl::Status PgConnection::RunLater(Statement statement) {
  auto* pg = static_cast<PgStatement*>(statement.impl());
  if (pg->started()) return statement.Run();
  RETURN_IF_ERROR(pg->ReadyToRun());
  later_runs_.push_back(pg->invocation());
  later_.push_back(std::move(statement));
  return absl::OkStatus();
}

absl::Status PgConnection::Fetch(absl::Span<Statement* const> statements) {
  std::vector<PgStatement*> fetching;
  std::vector<Invocation> runs;
  for (Statement* statement : statements) {
    // Only this connection's statements are PgStatements.
    auto* pg = static_cast<PgStatement*>(statement->impl());
    if (pg->started()) continue;
    RETURN_IF_ERROR(pg->ReadyToRun());
    fetching.push_back(pg);
    runs.push_back(pg->invocation());
  }
  if (runs.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(ExecuteAll(runs));
  for (size_t i = 0; i < runs.size(); ++i) {
    fetching[i]->TakeFetched(runs[i].result);
  }
  return absl::OkStatus();
}

}  // namespace carebridge
