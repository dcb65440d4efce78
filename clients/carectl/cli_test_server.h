#ifndef CAREBRIDGE_CLIENTS_CARECTL_CLI_TEST_SERVER_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CLI_TEST_SERVER_H_

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/carectl/cli.h"

namespace carebridge::carectl {

// What one carectl run printed and returned.
struct CliResult {
  int code;
  std::string out;
  std::string err;
};

// carectl `args` run with no server (help, usage errors).
inline CliResult RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCarectl(args, {}, out, err);
  return {code, out.str(), err.str()};
}

// Fake services on a loopback port (port 0) for carectl tests, and carectl
// run against them. Stops the server when destroyed.
class CliTestServer {
 public:
  explicit CliTestServer(std::initializer_list<grpc::Service*> services) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    for (grpc::Service* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    server_flag_ = absl::StrCat("--server=127.0.0.1:", port);
  }
  ~CliTestServer() {
    if (server_ != nullptr) server_->Shutdown();
  }
  bool started() const { return server_ != nullptr; }

  // carectl `args`, after --server and `leading` (e.g. --utc).
  CliResult Run(std::vector<std::string> args,
                std::vector<std::string> leading = {}) const {
    leading.insert(leading.begin(), server_flag_);
    args.insert(args.begin(), leading.begin(), leading.end());
    return RunCli(args);
  }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CLI_TEST_SERVER_H_
