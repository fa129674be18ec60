// yellowtaild's command-line flags, declared on a CLI11 app. Each flag mirrors a
// setting of the config file (daemon_config.h) and, when given, wins over it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "client/daemon/daemon_config.h"

namespace yt {

class DaemonOptions {
 public:
  // Declares every flag on `app`; the object must outlive parsing.
  explicit DaemonOptions(CLI::App& app);

  // The file to read: --config, or kDefaultConfigPath (read only if it exists).
  const std::string& config_path() const { return config_path_; }
  bool config_given() const { return config_given_->count() > 0; }
  // Writes every flag that was given over `settings`.
  void apply(DaemonSettings& settings) const;

  // One-shot requests after the first login (scripts, --no-tun tests).
  const std::string& create() const { return create_; }
  const std::string& join() const { return join_; }
  const std::string& password() const { return password_; }

 private:
  DaemonSettings given_;  // values of flags; only those with count() > 0 are applied
  std::string config_path_ = kDefaultConfigPath;
  CLI::Option* config_given_ = nullptr;
  std::vector<std::pair<CLI::Option*, void (*)(const DaemonSettings&, DaemonSettings&)>> flags_;
  std::string create_, join_, password_;
};

}  // namespace yt
