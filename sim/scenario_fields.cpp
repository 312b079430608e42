#include "sim/scenario_fields.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "sim/suggest.h"
#include "sim/utf8.h"

namespace ivsim {

namespace {

enum class IntParse { ok, not_integer, overflow };

// Decimal or 0x-hex, optional sign; YAML 1.2 core schema integers.
IntParse parse_integer(const std::string& t, bool& neg, u64& mag) {
  std::size_t i = 0;
  neg = false;
  mag = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
  unsigned base = 10;
  if (t.size() - i > 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) base = 16, i += 2;
  if (i == t.size()) return IntParse::not_integer;
  const char* end = t.data() + t.size();
  const auto [stop, ec] = std::from_chars(t.data() + i, end, mag, static_cast<int>(base));
  // Out of range still consumes every digit; anything left is not a digit.
  if (stop != end) return IntParse::not_integer;
  return ec == std::errc::result_out_of_range ? IntParse::overflow : IntParse::ok;
}

// The text with bytes past ASCII as \xNN, so the message itself is valid UTF-8.
std::string quote_utf8_safe(const std::string& t) {
  std::string out = "\"";
  for (unsigned char c : t.substr(0, 60)) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out + (t.size() > 60 ? "...\"" : "\"");
}

}  // namespace

std::string format_number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string FieldReader::shown(const std::string& path, const SourceLocation& where) const {
  if (where.line == 0 && where.file.rfind("--", 0) == 0) return path;  // an option: --set, --seed
  return ref(path);
}

std::string FieldReader::ref(const std::string& path) const {
  auto it = tree_.shown_paths.find(path);
  return it == tree_.shown_paths.end() ? path : it->second;
}

void FieldReader::fail(const SourceLocation& where, const std::string& path, const std::string& msg) const {
  throw ConfigError(where, shown(path, where), msg);
}

void FieldReader::warn(const SourceLocation& w, const std::string& path, const std::string& msg) {
  std::string s = w.file.empty() ? std::string("<input>") : w.file;
  if (w.line > 0) {
    s += ":" + std::to_string(w.line);
    if (w.column > 0) s += ":" + std::to_string(w.column);
  }
  const std::string p = shown(path, w);
  s += ": warning: " + (p.empty() ? "" : p + ": ") + msg;
  if (warnings_)
    warnings_->push_back(s);
  else
    std::cerr << s << "\n";
}

void FieldReader::check_text(const Node& n, const std::string& path) const {
  auto check = [&](const std::string& text, const SourceLocation& loc, const std::string& p) {
    if (const auto at = invalid_utf8_at(text))
      fail(loc, p, "text is not valid UTF-8 (byte " + std::to_string(*at) + " of " + quote_utf8_safe(text) + ")");
  };
  if (n.kind == Node::Kind::scalar) check(n.text, n.loc, path);
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    if (n.kind == Node::Kind::mapping) {
      check(n.keys[i], n.key_locs[i], path);
      check_text(n.items[i], path_join(path, n.keys[i]));
    } else {
      check_text(n.items[i], path_at(path, i));
    }
  }
}

void FieldReader::expect(const Node& n, const std::string& path, Node::Kind kind) {
  if (n.kind == kind) return note(path, n.loc);
  fail(n.loc, path,
       std::string(kind == Node::Kind::list ? "expected a list" : "expected a mapping") + ", got " + describe(n));
}

void FieldReader::check_keys(const Node& map, const std::string& path, const std::vector<std::string>& allowed) {
  for (std::size_t i = 0; i < map.keys.size(); ++i)
    if (std::find(allowed.begin(), allowed.end(), map.keys[i]) == allowed.end())
      fail(map.key_locs[i], path, unknown("key", map.keys[i], allowed));
}

const Node& FieldReader::required(const Node& map, const std::string& path, const std::string& key) {
  if (const Node* n = map.find(key)) return *n;
  // An XML element that is missing is named as ACRN spells it.
  const std::string element = ref(path_join(path, key)), parent = shown(path, map.loc) + "/";
  if (map.loc.file != kSetLocation.file && element.compare(0, parent.size(), parent) == 0)
    fail(map.loc, path, "missing element " + element.substr(parent.size()));
  fail(map.loc, path, "missing required key " + quote(key));
}

const Node* FieldReader::section(const Node& map, const std::string& path, const std::string& key, Node::Kind kind) {
  const Node* n = map.find(key);
  if (!n || n->kind == Node::Kind::null) return nullptr;
  expect(*n, path_join(path, key), kind);
  return n;
}

std::string FieldReader::read_string(const Node& n, const std::string& path) {
  if (n.kind != Node::Kind::scalar) fail(n.loc, path, "expected a string, got " + describe(n));
  note(path, n.loc);
  return n.text;
}

std::string FieldReader::read_name(const Node& n, const std::string& path) {
  std::string s = read_string(n, path);
  if (s.empty()) fail(n.loc, path, "must not be empty");
  return s;
}

std::string FieldReader::read_choice(const Node& n, const std::string& path, const std::vector<std::string>& choices) {
  if (n.kind == Node::Kind::scalar && std::find(choices.begin(), choices.end(), n.text) != choices.end()) {
    note(path, n.loc);
    return n.text;
  }
  std::string msg = "expected one of " + join_list(choices) + ", got " + describe(n);
  if (n.kind == Node::Kind::scalar) {
    const std::string s = suggest(n.text, choices);
    if (!s.empty()) msg += "; did you mean " + quote(s) + "?";
  }
  fail(n.loc, path, msg);
}

bool FieldReader::read_int_value(const Node& n, const std::string& path, long long& v) {
  bool neg = false;
  u64 mag = 0;
  const IntParse r = n.kind == Node::Kind::scalar && n.plain ? parse_integer(n.text, neg, mag) : IntParse::not_integer;
  if (r == IntParse::not_integer) fail(n.loc, path, "expected an integer, got " + describe(n));
  const u64 lim = neg ? u64{1} << 63 : static_cast<u64>(LLONG_MAX);
  if (r != IntParse::ok || mag > lim) return false;
  v = neg ? (mag == 0 ? 0 : -static_cast<long long>(mag - 1) - 1) : static_cast<long long>(mag);
  note(path, n.loc);
  return true;
}

long long FieldReader::read_int(const Node& n, const std::string& path, long long lo, long long hi,
                                const std::string& unit) {
  long long v = 0;
  const bool in_range = read_int_value(n, path, v) && v >= lo && v <= hi;
  if (!in_range) {
    const std::string u = unit.empty() ? "" : " " + unit;
    const std::string range = hi == LLONG_MAX
                                  ? "must be at least " + std::to_string(lo) + u
                                  : "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + u;
    fail(n.loc, path, range + ", got " + n.text);
  }
  return v;
}

u64 FieldReader::read_u64(const Node& n, const std::string& path) {
  bool neg = false;
  u64 mag = 0;
  const IntParse r = n.kind == Node::Kind::scalar && n.plain ? parse_integer(n.text, neg, mag) : IntParse::not_integer;
  if (r == IntParse::not_integer) fail(n.loc, path, "expected an integer, got " + describe(n));
  if (r == IntParse::overflow || (neg && mag != 0))
    fail(n.loc, path, "must be between 0 and " + std::to_string(UINT64_MAX) + ", got " + n.text);
  note(path, n.loc);
  return mag;
}

bool FieldReader::read_bool(const Node& n, const std::string& path) {
  static const std::vector<std::string> yes = {"true", "True", "TRUE"}, no = {"false", "False", "FALSE"};
  if (n.kind == Node::Kind::scalar && n.plain) {
    note(path, n.loc);
    if (std::find(yes.begin(), yes.end(), n.text) != yes.end()) return true;
    if (std::find(no.begin(), no.end(), n.text) != no.end()) return false;
  }
  fail(n.loc, path, "expected a boolean (true or false), got " + describe(n));
}

double FieldReader::read_number(const Node& n, const std::string& path) {
  if (n.kind == Node::Kind::scalar && n.plain && !n.text.empty()) {
    bool neg = false;
    u64 mag = 0;
    if (parse_integer(n.text, neg, mag) == IntParse::ok) {
      note(path, n.loc);
      return neg ? -static_cast<double>(mag) : static_cast<double>(mag);
    }
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(n.text.c_str(), &end);
    if (*end == '\0' && errno == 0 && std::isfinite(v)) {
      note(path, n.loc);
      return v;
    }
  }
  fail(n.loc, path, "expected a number, got " + describe(n));
}

}  // namespace ivsim
