#include "protocol/display_name.h"

#include <cstdio>

namespace yt {
namespace {

// One UTF-8 sequence at the start of `s`: its code point and length, or nullopt for
// a malformed, overlong or surrogate sequence (RFC 3629).
struct Decoded {
  std::uint32_t cp;
  std::size_t length;
};

std::optional<Decoded> decode_utf8(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  std::uint8_t b0 = byte(0);
  if (b0 < 0x80) return Decoded{b0, 1};
  std::size_t length = 0;
  std::uint32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return Decoded{cp, length};
}

}  // namespace

bool is_unsafe_code_point(std::uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;  // C0, DEL, C1
  if (cp >= 0x200B && cp <= 0x200F) return true;             // zero-width, LRM, RLM
  if (cp >= 0x2028 && cp <= 0x202E) return true;             // separators, bidi embed/override
  if (cp >= 0x2060 && cp <= 0x206F) return true;             // word joiner, bidi isolates, ...
  return cp == 0x061C || cp == 0xFEFF;                       // ALM, BOM
}

std::optional<std::string> display_name_problem(std::string_view name, std::size_t max_length) {
  if (name.empty()) return "it is empty";
  if (name.size() > max_length) return "it is longer than " + std::to_string(max_length) + " bytes";
  if (name.front() == ' ' || name.back() == ' ') return "it starts or ends with a space";
  for (std::size_t i = 0; i < name.size();) {
    auto decoded = decode_utf8(name.substr(i));
    if (!decoded) return std::string("it is not valid UTF-8");
    if (is_unsafe_code_point(decoded->cp)) {
      return std::string("it contains a line break, a control character or an invisible formatting character");
    }
    i += decoded->length;
  }
  return std::nullopt;
}

std::string escape_unsafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buffer[16];
  for (std::size_t i = 0; i < text.size();) {
    auto decoded = decode_utf8(text.substr(i));
    if (!decoded) {
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<std::uint8_t>(text[i]));
      out += buffer;
      ++i;
      continue;
    }
    std::uint32_t cp = decoded->cp;
    if (cp == '\\') {
      out += "\\\\";  // so an escape in the text cannot pass for one of ours
    } else if (!is_unsafe_code_point(cp)) {
      out.append(text.substr(i, decoded->length));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x100) {
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
      out += buffer;
    } else {
      std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      out += buffer;
    }
    i += decoded->length;
  }
  return out;
}

}  // namespace yt
