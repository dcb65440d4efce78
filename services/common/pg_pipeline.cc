// PgConnection's round trips: statements, deferred control commands,
// announcements and COMMIT go to the server in pipelines (libpq's pipeline
// mode), each read back in order with the errors a command sent alone
// would have had. PgStatement and the rest are in pg_connection.cc.

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/pg_connection.h"
#include "services/common/pg_db.h"

namespace carebridge {

bool PgConnection::TakeBackDeferred(absl::string_view command) {
  if (pending_.empty() || pending_.back() != command) return false;
  pending_.pop_back();
  return true;
}

std::vector<PgConnection::PipelineCommand> PgConnection::TakeDeferred() {
  std::vector<PipelineCommand> commands(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    commands[i].what = "exec";
    commands[i].sql = std::move(pending_[i]);
  }
  pending_.clear();
  return commands;
}

bool PgConnection::Send(const PipelineCommand& command) {
  switch (command.kind) {
    case PipelineCommand::kPrepare:
      return PQsendPrepare(conn_, command.name.c_str(), command.sql.c_str(),
                           command.count, command.types) == 1;
    case PipelineCommand::kPrepared:
      return PQsendQueryPrepared(conn_, command.name.c_str(), command.count,
                                 command.values, command.lengths,
                                 command.formats, /*resultFormat=*/0) == 1;
    case PipelineCommand::kQuery:
      break;
  }
  return PQsendQueryParams(conn_, command.sql.c_str(), command.count,
                           command.types, command.values, command.lengths,
                           command.formats, /*resultFormat=*/0) == 1;
}

absl::Status PgConnection::RunPipeline(
    const std::vector<PipelineCommand>& commands,
    std::vector<PgResult>& results, size_t& failed) {
  results.clear();
  results.resize(commands.size());
  failed = commands.size();
  if (commands.empty()) return absl::OkStatus();
  ++round_trips_;
  // Out of step with the server (a result that is not the one expected):
  // nothing more can be trusted on this connection, so the pool drops it.
  auto out_of_step = [&](size_t at) {
    lost_ = true;
    failed = at;
    return absl::UnavailableError(
        absl::StrCat("postgresql ", commands[at].what, " (", target_,
                     "): ", TrimmedPgMessage(PQerrorMessage(conn_))));
  };
  if (PQenterPipelineMode(conn_) != 1) return out_of_step(0);
  // A command not sent (no connection, a bad parameter count) fails as it
  // would have alone, unless one sent before it failed first; what was
  // sent is read back all the same.
  absl::Status unsent;
  size_t sent = 0;
  for (; sent < commands.size(); ++sent) {
    if (!Send(commands[sent])) {
      unsent = ErrorOf(nullptr, commands[sent].what);
      break;
    }
  }
  if (PQpipelineSync(conn_) != 1) {
    lost_ = true;
    if (unsent.ok()) return out_of_step(0);
    failed = sent;
    return unsent;
  }
  absl::Status status;
  for (size_t i = 0; i < sent; ++i) {
    PgResult result(PQgetResult(conn_));
    if (result == nullptr) return status.ok() ? out_of_step(i) : status;
    const ExecStatusType got = PQresultStatus(result.get());
    if (got == PGRES_COMMAND_OK || got == PGRES_TUPLES_OK) {
      results[i] = std::move(result);
    } else if (got != PGRES_PIPELINE_ABORTED && status.ok()) {
      status = ErrorOf(result.get(), commands[i].what);
      failed = i;
    }
    // The null that ends this command's results; on a lost connection
    // there is nothing more to read.
    while (!lost()) {
      PgResult extra(PQgetResult(conn_));
      if (extra == nullptr) break;
    }
    if (lost()) {
      lost_ = true;
      if (!status.ok()) return status;
      failed = i;
      return ErrorOf(nullptr, commands[i].what);
    }
  }
  PgResult sync(PQgetResult(conn_));
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC ||
      PQexitPipelineMode(conn_) != 1) {
    return status.ok() ? out_of_step(commands.size() - 1) : status;
  }
  if (status.ok() && !unsent.ok()) {
    status = unsent;
    failed = sent;
  }
  return status;
}

absl::Status PgConnection::ExecuteAll(std::vector<Invocation>& runs) {
  RETURN_IF_ERROR(control_status_);
  // What RunLater queued, then `runs`; the queued statements (and the
  // parameters their invocations point into) live until this returns.
  const std::vector<Statement> later = std::exchange(later_, {});
  std::vector<Invocation> all = std::exchange(later_runs_, {});
  const size_t queued = all.size();
  all.insert(all.end(), runs.begin(), runs.end());
  // Each statement's parameters as libpq takes them, alive until read back.
  std::vector<std::vector<const char*>> pointers(all.size());
  std::vector<std::vector<int>> lengths(all.size());
  std::vector<PipelineCommand> commands = TakeDeferred();
  const size_t deferred = commands.size();
  // Statements new on this connection, prepared in this pipeline (once
  // each, however many times they run in it): where their prepare is, and
  // their key and name for prepared_.
  struct Fresh {
    size_t at;
    std::string key;
    std::string name;
  };
  std::vector<Fresh> fresh;
  std::vector<size_t> run_at(all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    const Invocation& run = all[r];
    const std::vector<std::string>& values = *run.values;
    pointers[r].resize(values.size());
    lengths[r].resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      pointers[r][i] = (*run.nulls)[i] ? nullptr : values[i].data();
      lengths[r][i] = static_cast<int>(values[i].size());
    }
    std::string key = PreparedKey(*run.sql, *run.types);
    std::string name;
    if (auto found = prepared_.find(key); found != prepared_.end()) {
      name = found->second;
    } else if (auto same = std::find_if(
                   fresh.begin(), fresh.end(),
                   [&](const Fresh& one) { return one.key == key; });
               same != fresh.end()) {
      name = same->name;
    } else if (prepared_.size() + fresh.size() < PgDb::kMaxPreparedStatements) {
      // A pipeline stops at its first failure, so the prepares that
      // succeed are a prefix of these: the names stay dense.
      name = absl::StrCat("cb_", prepared_.size() + fresh.size() + 1);
      PipelineCommand prepare;
      prepare.kind = PipelineCommand::kPrepare;
      prepare.what = r < queued ? "queued statement" : "statement";
      prepare.sql = *run.sql;
      prepare.name = name;
      prepare.count = static_cast<int>(values.size());
      prepare.types = run.types->data();
      commands.push_back(std::move(prepare));
      fresh.push_back({commands.size() - 1, std::move(key), name});
    }
    PipelineCommand command;
    command.kind =
        name.empty() ? PipelineCommand::kQuery : PipelineCommand::kPrepared;
    // A queued statement's failure is reported by the call carrying it.
    command.what = r < queued ? "queued statement" : "statement";
    if (name.empty()) command.sql = *run.sql;
    command.name = std::move(name);
    command.count = static_cast<int>(values.size());
    command.types = run.types->data();
    command.values = pointers[r].data();
    command.lengths = lengths[r].data();
    command.formats = run.formats->data();
    commands.push_back(std::move(command));
    run_at[r] = commands.size() - 1;
  }
  std::vector<PgResult> results;
  size_t failed = 0;
  absl::Status status = RunPipeline(commands, results, failed);
  // Prepared statements outlive the transaction, even one that then
  // failed; one the server refused or skipped is not there.
  for (Fresh& one : fresh) {
    if (results[one.at] != nullptr) {
      prepared_.emplace(std::move(one.key), std::move(one.name));
    }
  }
  if (!status.ok()) {
    if (failed < deferred) control_status_ = status;
    return status;
  }
  for (size_t r = 0; r < all.size(); ++r) {
    NotePossibleChange(*all[r].sql, results[run_at[r]].get());
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    runs[r].result = results[run_at[queued + r]].release();
  }
  if (!runs.empty()) NoteChanges(runs.back().result);
  return absl::OkStatus();
}

absl::Status PgConnection::FlushLater() {
  std::vector<Invocation> none;
  return ExecuteAll(none);
}

absl::StatusOr<PGresult*> PgConnection::Execute(
    const std::string& sql, const std::vector<Oid>& types,
    const std::vector<std::string>& values, const std::vector<bool>& nulls,
    const std::vector<int>& formats) {
  std::vector<Invocation> runs(1);
  runs[0].sql = &sql;
  runs[0].types = &types;
  runs[0].values = &values;
  runs[0].nulls = &nulls;
  runs[0].formats = &formats;
  RETURN_IF_ERROR(ExecuteAll(runs));
  return runs[0].result;
}

std::string PgConnection::PreparedKey(const std::string& sql,
                                      const std::vector<Oid>& types) {
  std::string key = sql;
  key.push_back('\0');
  for (Oid type : types) absl::StrAppend(&key, type, ",");
  return key;
}

absl::Status PgConnection::Exec(absl::string_view sql) {
  RETURN_IF_ERROR(control_status_);
  if (!pending_.empty() || !later_.empty()) RETURN_IF_ERROR(FlushLater());
  return ExecNow(std::string(sql));
}

absl::Status PgConnection::ExecNow(const std::string& sql) {
  ++round_trips_;
  PgResult result(PQexec(conn_, sql.c_str()));
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return ErrorOf(result.get(), "exec");
  }
  NoteChanges(result.get());
  NotePossibleChange(sql, result.get());
  return absl::OkStatus();
}

absl::Status PgConnection::Commit() {
  KeepAnnounced(/*keep=*/true);
  RETURN_IF_ERROR(control_status_);
  if (!later_.empty()) RETURN_IF_ERROR(FlushLater());
  const std::set<std::string> announced = std::move(announced_);
  announced_.clear();
  if (announced.empty() && !pending_.empty() &&
      PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    // Only deferred commands, the BEGIN among them: nothing began on the
    // server, so nothing is there to commit.
    pending_.clear();
    return absl::OkStatus();
  }
  std::vector<PipelineCommand> commands = TakeDeferred();
  const size_t deferred = commands.size();
  // Each announcement's parameters, alive until the pipeline is read.
  std::vector<std::array<const char*, 2>> notices;
  notices.reserve(announced.size());
  for (const std::string& channel : announced) {
    notices.push_back({channel.c_str(), origin_.c_str()});
    PipelineCommand notify;
    notify.what = "notify";
    notify.sql = "SELECT pg_notify($1, $2)";
    notify.count = 2;
    notify.values = notices.back().data();
    commands.push_back(std::move(notify));
  }
  PipelineCommand commit;
  commit.what = "commit";
  commit.sql = "COMMIT";
  commands.push_back(std::move(commit));
  std::vector<PgResult> results;
  size_t failed = 0;
  absl::Status status = RunPipeline(commands, results, failed);
  if (!status.ok()) {
    if (failed < deferred) control_status_ = status;
    return status;
  }
  if (absl::string_view(PQcmdStatus(results.back().get())) != "COMMIT") {
    return absl::InternalError(absl::StrCat(
        "postgresql commit (", target_,
        "): the transaction was rolled back, as a statement in it had "
        "failed"));
  }
  return absl::OkStatus();
}

absl::Status PgConnection::Rollback() {
  pending_.clear();
  DropLater();
  // A BEGIN still deferred never reached the server.
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return absl::OkStatus();
  return ExecNow("ROLLBACK");
}

bool PgConnection::Reset() {
  pending_.clear();
  DropLater();
  control_status_ = absl::OkStatus();
  if (lost() || stale_prepared_ || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
    return false;
  }
  PGTransactionStatusType status = PQtransactionStatus(conn_);
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
    ExecNow("ROLLBACK").IgnoreError();
    status = PQtransactionStatus(conn_);
  }
  return !lost() && status == PQTRANS_IDLE;
}

bool PgConnection::LostWhileIdle() {
  // A server ending the session sends its reason, then closes: the first
  // read takes the message (a notice while idle), the second meets the
  // end. Neither waits.
  for (int read = 0; read < 2 && !lost(); ++read) {
    if (PQconsumeInput(conn_) != 1) lost_ = true;
  }
  return lost();
}

}  // namespace carebridge
