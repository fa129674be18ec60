#include "client/daemon/web_request.h"

#include <nlohmann/json.hpp>

namespace yt {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string, std::string> decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return Err{std::string("malformed %-escape in the query")};
      int high = hex_digit(text[i + 1]);
      int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return Err{std::string("malformed %-escape in the query")};
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<WebTarget, std::string> parse_web_target(std::string_view target) {
  WebTarget out;
  std::size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (out.path.empty() || out.path.front() != '/') return Err{std::string("the target is not an absolute path")};
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name) return Err{name.error()};
    if (!value) return Err{value.error()};
    if (!out.query.emplace(*name, *value).second) return Err{"query parameter '" + *name + "' is given twice"};
  }
  return out;
}

WebResponse web_error(int status, std::string message) {
  WebResponse response;
  response.status = status;
  // Replacement, not an exception: the message may quote bytes a client sent.
  response.body = nlohmann::json{{"ok", false}, {"error", std::move(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace yt
