#include "client/daemon/chat_history.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/state_dir.h"
#include "protocol/messages.h"

namespace yt {
namespace {

// One entry is at most a chat message plus names and numbers; the file holds at
// most twice kMaxChatHistory of them (add() compacts beyond that).
constexpr std::size_t kMaxEntryBytes = 4 * kMaxChatLength + 1024;
constexpr std::size_t kMaxFileBytes = 2 * 10000 * kMaxEntryBytes;

std::string line_of(const ChatEntry& e) {
  return e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<ChatEntry> entry_from_json(const nlohmann::json& o) {
  if (!o.is_object()) return std::nullopt;
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto v = o.find(key);
    if (v == o.end()) return std::string();
    if (!v->is_string()) return std::nullopt;
    return v->get<std::string>();
  };
  auto time = o.find("unix_ms");
  auto outgoing = o.find("outgoing");
  if (time == o.end() || !time->is_number_integer() || outgoing == o.end() || !outgoing->is_boolean()) {
    return std::nullopt;
  }
  auto network = text("network"), peer = text("peer"), nickname = text("nickname"), body = text("text");
  if (!network || !peer || !nickname || !body) return std::nullopt;
  return ChatEntry{time->get<std::int64_t>(), outgoing->get<bool>(), *network, *peer, *nickname, *body};
}

}  // namespace

nlohmann::json ChatEntry::to_json() const {
  return nlohmann::json{{"unix_ms", unix_ms}, {"outgoing", outgoing}, {"network", network},
                        {"peer", peer},       {"nickname", nickname}, {"text", text}};
}

Result<ChatHistory, std::string> ChatHistory::open(const std::string& path, std::size_t limit) {
  ChatHistory history(path, limit);
  auto contents = read_small_file(path, kMaxFileBytes);
  if (!contents) return Err{contents.error()};
  if (!*contents) return history;
  std::string_view rest = **contents;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty()) continue;
    ++history.lines_in_file_;
    auto entry = entry_from_json(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
    if (!entry) {
      ++history.skipped_;
      continue;
    }
    history.entries_.push_back(std::move(*entry));
    if (history.entries_.size() > limit) history.entries_.pop_front();
  }
  return history;
}

Status<std::string> ChatHistory::add(ChatEntry entry) {
  if (limit_ == 0) return Ok{};
  std::string line = line_of(entry);
  entries_.push_back(std::move(entry));
  while (entries_.size() > limit_) entries_.pop_front();
  // Appending one line keeps a chat flood cheap (rewriting and syncing the whole
  // history per message stalled the daemon); the file is rewritten, atomically, only
  // when it holds twice the limit. A line cut short by a crash is skipped at open.
  if (lines_in_file_ + 1 > 2 * limit_) return compact();
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err{"cannot append to " + path_ + ": " + std::strerror(errno)};
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    // Whatever part got in is a damaged line that open() skips; a rewrite is clean.
    if (written < 0) return Err{"cannot append to " + path_ + ": " + std::strerror(saved_errno)};
    return compact();
  }
  ++lines_in_file_;
  return Ok{};
}

Status<std::string> ChatHistory::compact() {
  std::string contents;
  for (const ChatEntry& e : entries_) contents += line_of(e);
  auto written = write_file_atomically(path_, contents, 0600);
  if (written) lines_in_file_ = entries_.size();
  return written;
}

std::vector<ChatEntry> ChatHistory::recent(const std::string& with, std::size_t count) const {
  std::vector<ChatEntry> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < count; ++it) {
    bool match = with.empty() || it->network == with || (it->network.empty() && (it->peer == with || it->nickname == with));
    if (match) out.push_back(*it);
  }
  return std::vector<ChatEntry>(out.rbegin(), out.rend());
}

}  // namespace yt
