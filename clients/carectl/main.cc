// carectl: the command-line client for carebridge. See `carectl help`.

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "clients/carectl/cli.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  // HOME and CAREBRIDGE_CONFIG locate the config file (config.h).
  for (const char* name :
       {"CAREBRIDGE_SERVER", "CAREBRIDGE_TOKEN", "CAREBRIDGE_TOKEN_FILE",
        "CAREBRIDGE_TLS_CA_FILE", "CAREBRIDGE_CONFIG", "HOME"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  int code = carebridge::carectl::RunCarectl(args, env, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
