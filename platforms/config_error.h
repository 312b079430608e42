// A user's input error: where it is and what was expected. Anything that
// reads user input throws this; the CLI prints it and exits with status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace ivsim {

struct SourceLocation {
  std::string file;  // path as given by the user, or "--set" for command-line overrides
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceLocation where, std::string field_path, std::string message)
      : std::runtime_error(format(where, field_path, message)),
        where_(std::move(where)),
        field_path_(std::move(field_path)),
        message_(std::move(message)) {}

  const SourceLocation& where() const { return where_; }
  const std::string& field_path() const { return field_path_; }
  const std::string& message() const { return message_; }

  // "file:line:col: error: field.path: message"
  static std::string format(const SourceLocation& w, const std::string& path, const std::string& msg) {
    std::string s = w.file.empty() ? std::string("<input>") : w.file;
    if (w.line > 0) {
      s += ":" + std::to_string(w.line);
      if (w.column > 0) s += ":" + std::to_string(w.column);
    }
    s += ": error: ";
    if (!path.empty()) s += path + ": ";
    return s + msg;
  }

 private:
  SourceLocation where_;
  std::string field_path_;
  std::string message_;
};

}  // namespace ivsim
