// Human-readable text for the daemon's answers (the CLI without --json). The input
// is the "result" object of a successful response (status_json.h for status and
// list); missing fields print as "-" rather than failing, so an older daemon still
// gives readable output.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace yt {

std::string format_result(const std::string& command, const nlohmann::json& result);

}  // namespace yt
