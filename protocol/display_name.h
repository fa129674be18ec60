// Names that people read: nicknames and network names. CLIs and UIs print them line
// by line beside other people's names, so a line break, a control character or a
// bidirectional override inside one could draw a forged line (a fake "bank-server
// online direct" row) or reorder what is shown. Such names are refused where they
// enter (server, client core, daemon config), and every printer escapes what a peer
// or server sends anyway, since an older server may have stored one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace yt {

// Why a name is refused, worded for the person who typed it.
std::optional<std::string> display_name_problem(std::string_view name, std::size_t max_length);
inline bool valid_display_name(std::string_view name, std::size_t max_length) {
  return !display_name_problem(name, max_length).has_value();
}

// A code point that must not appear in a name: C0 and C1 controls, DEL, and the
// Unicode format characters that reorder or hide text (bidi embeddings, overrides
// and isolates, LRM/RLM/ALM, zero-width joiners and spaces, BOM, line/paragraph
// separators).
bool is_unsafe_code_point(std::uint32_t cp);

// `text` for a terminal: unsafe code points and bytes that are not well-formed
// UTF-8 become visible escapes (\n, \t, \x1b, \u202e), everything else is kept.
std::string escape_unsafe(std::string_view text);

}  // namespace yt
