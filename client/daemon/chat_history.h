// The daemon's chat history: the last `limit` messages sent and received, kept in
// memory and in <state_dir>/chat.jsonl (one JSON object per line, mode 0600),
// rewritten atomically on each message so it stays bounded and never torn.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/result.h"

namespace yt {

struct ChatEntry {
  std::int64_t unix_ms = 0;  // wall-clock time of sending or receipt
  bool outgoing = false;
  std::string network;       // empty: a private message
  // The other side: the sender of a received message, the recipient of a sent
  // private one; empty for a network message we sent. Node id, and nickname then.
  std::string peer;
  std::string nickname;
  std::string text;

  nlohmann::json to_json() const;
  friend bool operator==(const ChatEntry& a, const ChatEntry& b) {
    return a.unix_ms == b.unix_ms && a.outgoing == b.outgoing && a.network == b.network && a.peer == b.peer &&
           a.nickname == b.nickname && a.text == b.text;
  }
};

class ChatHistory {
 public:
  // Loads `path` if it exists, keeping its last `limit` entries. Lines that do not
  // parse are skipped (a partial history is more use than none) and counted.
  static Result<ChatHistory, std::string> open(const std::string& path, std::size_t limit);

  // Appends, drops the oldest beyond the limit, and saves (one appended line; the
  // file is rewritten only when it holds twice the limit). A failed save keeps the
  // entry in memory and returns why.
  Status<std::string> add(ChatEntry entry);

  // The last `count` entries, oldest first, for which `with` is empty or equals the
  // network name, or the peer's node id or nickname.
  std::vector<ChatEntry> recent(const std::string& with, std::size_t count) const;
  std::size_t skipped_lines() const { return skipped_; }
  std::size_t size() const { return entries_.size(); }

 private:
  ChatHistory(std::string path, std::size_t limit) : path_(std::move(path)), limit_(limit) {}
  Status<std::string> compact();

  std::string path_;
  std::size_t limit_;
  std::deque<ChatEntry> entries_;
  std::size_t skipped_ = 0;
  std::size_t lines_in_file_ = 0;  // lines in the file, kept or not: compaction is due at 2 x limit_
};

}  // namespace yt
