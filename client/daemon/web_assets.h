// The web UI's files (client/daemon/web/), compiled into the daemon by
// web/embed_assets.cmake: the UI works with no file on disk and no network access
// beyond the daemon itself.
#pragma once

#include <string_view>
#include <vector>

namespace yt {

struct WebAsset {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace yt
