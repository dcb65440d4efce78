// carebridge-backup: an online backup of a server's data directory, and its
// restore into a new one (docs/backup.md).
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/version.h"
#include "tools/backup/backup.h"
#include "tools/backup/restore.h"

ABSL_FLAG(std::string, data_dir, "",
          "the server's data directory: backed up, or restored into (absent "
          "or empty)");
ABSL_FLAG(std::string, out, "",
          "where the backup goes: a new (absent or empty) folder outside "
          "--data_dir");
ABSL_FLAG(bool, restore, false, "restore the backup in --from into --data_dir");
ABSL_FLAG(bool, verify, false,
          "check the backup in --from (sizes, SHA-256, SQLite integrity) "
          "without restoring it");
ABSL_FLAG(bool, renew_epochs, false,
          "give every feed in --data_dir a new epoch, in place, after it was "
          "put back by other means than --restore (a volume snapshot, a file "
          "copy); the server must be stopped");
ABSL_FLAG(std::string, from, "", "the backup to restore or verify");
ABSL_FLAG(bool, json, false, "print the result as JSON");

namespace carebridge::backup {
namespace {

using nlohmann::json;

int Fail(const absl::Status& status) {
  std::cerr << "carebridge-backup: " << status.message() << "\n";
  return 1;
}

std::string Feed(const BackupFile& file) {
  if (!file.facts.feed.has_value()) return "";
  return absl::StrCat(" feed head ", file.facts.feed->head_sequence, " epoch ",
                      file.facts.feed->epoch);
}

int RunBackup() {
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string out = absl::GetFlag(FLAGS_out);
  absl::StatusOr<Manifest> manifest = BackUp(data_dir, out, absl::Now());
  if (!manifest.ok()) return Fail(manifest.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ManifestToJson(*manifest);
    return 0;
  }
  std::cout << "backed up " << data_dir << " into " << out << " at "
            << manifest->created << " (" << manifest->files.size()
            << " files, each checked; see " << out << "/" << kManifestName
            << ")\n";
  for (const BackupFile& file : manifest->files) {
    std::cout << "  " << file.path << "  " << file.bytes << " bytes"
              << (file.sqlite
                      ? absl::StrCat("  schema ", file.facts.user_version)
                      : "")
              << Feed(file) << "\n";
  }
  return 0;
}

int RunVerify() {
  const std::string from = absl::GetFlag(FLAGS_from);
  absl::StatusOr<Manifest> manifest = VerifyBackup(from);
  if (!manifest.ok()) return Fail(manifest.status());
  std::cout << from << ": a complete backup of " << manifest->data_dir
            << " taken at " << manifest->created << "; "
            << manifest->files.size() << " files, each as the backup made it\n";
  return 0;
}

void PrintRestore(const RestoreReport& report, const std::string& data_dir) {
  if (report.manifest.created.empty()) {
    std::cout << "renewed the epochs of the feeds in " << data_dir << "\n";
  } else {
    std::cout << "restored the backup of " << report.manifest.created << " ("
              << report.manifest.files.size() << " files) into " << data_dir
              << "\n";
  }
  if (!report.feeds.empty()) {
    std::cout << "feeds (each has a NEW epoch; its head is the backup's):\n";
    for (const RestoredFeed& feed : report.feeds) {
      std::cout << "  " << feed.path << "  head " << feed.head_sequence
                << "  epoch " << feed.old_epoch << " -> " << feed.new_epoch
                << "\n";
    }
  }
  bool left = false;
  for (const RestoredCursor& cursor : report.cursors) {
    if (cursor.reanchored) {
      std::cout << "  " << cursor.path << ": its cursor " << cursor.sequence
                << " on " << cursor.producer_path
                << " is within the restored feed: moved to the new epoch\n";
    } else {
      left = true;
      std::cout << "  " << cursor.path << ": its cursor " << cursor.sequence
                << " on " << cursor.producer_path
                << " is past the restored head " << cursor.producer_head
                << " (events it applied are not in the backup): left to stop; "
                   "reset it (below)\n";
    }
  }
  std::cout
      << "Consumers that follow these feeds from their old databases (other "
         "processes"
      << (left ? ", and those left to stop above" : "")
      << ") stop with PRODUCER_RESET (carectl admin feeds). Reset each to the "
         "smaller of its cursor and the feed's head above:\n"
         "  carectl admin feeds reset CONSUMER --after=MIN(CURSOR,HEAD) "
         "--epoch=NEW_EPOCH\n"
         "(docs/backup.md, \"After a restore\").\n";
}

json RestoreJson(const RestoreReport& report, const std::string& data_dir) {
  json feeds = json::array();
  for (const RestoredFeed& feed : report.feeds) {
    feeds.push_back({{"path", feed.path},
                     {"head_sequence", feed.head_sequence},
                     {"old_epoch", feed.old_epoch},
                     {"new_epoch", feed.new_epoch}});
  }
  json cursors = json::array();
  for (const RestoredCursor& cursor : report.cursors) {
    cursors.push_back({{"path", cursor.path},
                       {"feed", cursor.feed},
                       {"sequence", cursor.sequence},
                       {"producer_path", cursor.producer_path},
                       {"producer_head", cursor.producer_head},
                       {"new_epoch", cursor.new_epoch},
                       {"reanchored", cursor.reanchored}});
  }
  return {{"data_dir", data_dir},
          {"backup_created", report.manifest.created},
          {"feeds", feeds},
          {"cursors", cursors}};
}

int RunRestore(bool in_place) {
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<RestoreReport> report =
      in_place ? RenewEpochs(data_dir)
               : Restore(absl::GetFlag(FLAGS_from), data_dir);
  if (!report.ok()) return Fail(report.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << RestoreJson(*report, data_dir).dump(2) << "\n";
  } else {
    PrintRestore(*report, data_dir);
  }
  return 0;
}

}  // namespace
}  // namespace carebridge::backup

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "carebridge-backup --data_dir=DIR --out=NEW_DIR\n"
      "  carebridge-backup --restore --from=BACKUP --data_dir=NEW_DIR\n"
      "  carebridge-backup --verify --from=BACKUP\n"
      "  carebridge-backup --renew_epochs --data_dir=DIR (server stopped)\n"
      "Backs up a carebridge server's data directory while it runs, and "
      "restores it (docs/backup.md).");
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] {
    return absl::StrCat("carebridge-backup ", carebridge::kCarebridgeVersion,
                        "\n");
  };
  // --help lists this tool's flags (Abseil's default matches none here).
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "tools/backup/");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_restore) + absl::GetFlag(FLAGS_verify) +
          absl::GetFlag(FLAGS_renew_epochs) >
      1) {
    std::cerr << "carebridge-backup: give one of --restore, --verify and "
                 "--renew_epochs\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_restore)) {
    return carebridge::backup::RunRestore(/*in_place=*/false);
  }
  if (absl::GetFlag(FLAGS_renew_epochs)) {
    return carebridge::backup::RunRestore(/*in_place=*/true);
  }
  if (absl::GetFlag(FLAGS_verify)) return carebridge::backup::RunVerify();
  if (!absl::GetFlag(FLAGS_from).empty()) {
    std::cerr << "carebridge-backup: --from goes with --restore or --verify\n";
    return 2;
  }
  return carebridge::backup::RunBackup();
}
