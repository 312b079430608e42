// UTF-8 validation of input text. YAML and XML are UTF-8, but neither
// yaml-cpp nor pugixml checks it, and the report's JSON writer throws on
// invalid UTF-8 (after the run): text is checked when it is read instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ivsim {

// The offset of the first byte that does not start or continue a valid
// UTF-8 sequence (overlong forms, surrogates and code points past U+10FFFF
// are invalid); nullopt when all of `text` is valid.
std::optional<std::size_t> invalid_utf8_at(const std::string& text);

}  // namespace ivsim
