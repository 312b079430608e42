#include "sim/scenario_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "platforms/board.h"
#include "workloads/workload_kind.h"

namespace ivsim {

namespace {

// ---------------------------------------------------------------------------
// Located YAML tree. --set edits the tree before validation, and nodes made by
// yaml-cpp at run time have no mark, so the loader converts to its own tree in
// which every node and key carries the location to report.

struct Node {
  enum class Kind { null, scalar, list, mapping };
  Kind kind = Kind::null;
  std::string text;               // scalar text
  bool plain = true;              // scalar was neither quoted nor tagged: only plain scalars are numbers/booleans
  std::vector<Node> items;        // list items, or mapping values parallel to keys
  std::vector<std::string> keys;  // mapping keys, in file order
  std::vector<SourceLocation> key_locs;  // where each key is written
  SourceLocation loc;

  const Node* find(const std::string& key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &items[i];
    return nullptr;
  }
  Node* find(const std::string& key) { return const_cast<Node*>(static_cast<const Node*>(this)->find(key)); }
};

const SourceLocation kSetLoc{"--set", 0, 0};
constexpr int kMaxDepth = 64;  // aliases can make cycles; nothing legitimate nests this deep

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string quote(const std::string& s) {
  std::string q = "\"";
  const std::size_t limit = 60;  // messages stay one line even for pasted blobs
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\')
      q += '\\', q += c;
    else if (c == '\n')
      q += "\\n";
    else if (c == '\t')
      q += "\\t";
    else
      q += c;
  }
  if (s.size() > limit) q += "...";
  return q + "\"";
}

std::string join_list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::null:
      return "an empty value";
    case Node::Kind::scalar:
      return n.plain ? quote(n.text) : "the string " + quote(n.text);
    case Node::Kind::list:
      return "a list";
    case Node::Kind::mapping:
      return "a mapping";
  }
  return "?";
}

SourceLocation located(const YAML::Mark& m, const std::string& file) {
  return SourceLocation{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

Node convert(const YAML::Node& y, const std::string& file, bool from_set, const std::string& path, int depth) {
  Node n;
  n.loc = from_set ? kSetLoc : located(y.Mark(), file);
  if (depth > kMaxDepth)  // the path of a cycle is as long as the limit: keep its start
    throw ConfigError(n.loc, path.size() > 40 ? path.substr(0, 40) + "..." : path,
                      "nesting is deeper than " + std::to_string(kMaxDepth) + " levels (a recursive alias?)");
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = Node::Kind::null;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::scalar;
      n.text = y.Scalar();
      n.plain = y.Tag() == "?";
      break;
    case YAML::NodeType::Sequence: {
      n.kind = Node::Kind::list;
      std::size_t i = 0;
      for (const auto& item : y) n.items.push_back(convert(item, file, from_set, at(path, i++), depth + 1));
      break;
    }
    case YAML::NodeType::Map:
      n.kind = Node::Kind::mapping;
      for (const auto& kv : y) {
        const SourceLocation key_loc = from_set ? kSetLoc : located(kv.first.Mark(), file);
        if (!kv.first.IsScalar()) throw ConfigError(key_loc, path, "mapping keys must be plain strings");
        const std::string key = kv.first.Scalar();
        for (std::size_t i = 0; i < n.keys.size(); ++i)
          if (n.keys[i] == key) {
            std::string msg = "duplicate key " + quote(key);
            if (n.key_locs[i].line > 0) msg += " (first at line " + std::to_string(n.key_locs[i].line) + ")";
            throw ConfigError(key_loc, path, msg);
          }
        n.keys.push_back(key);
        n.key_locs.push_back(key_loc);
        n.items.push_back(convert(kv.second, file, from_set, join(path, key), depth + 1));
      }
      break;
  }
  return n;
}

Node parse_document(const std::string& text, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(located(e.mark, file), "", "invalid YAML: " + e.msg);
  }
  if (docs.size() > 1)
    throw ConfigError(located(docs[1].Mark(), file), "",
                      "expected one YAML document, found " + std::to_string(docs.size()));
  if (docs.empty()) {
    Node empty;
    empty.loc = SourceLocation{file, 0, 0};
    return empty;
  }
  return convert(docs[0], file, false, "", 0);
}

// ---------------------------------------------------------------------------
// --set overrides.

struct Segment {
  std::string key;       // as written
  bool bracket = false;  // written as [n]: always an index
  bool numeric = false;  // all digits: an index when the node is a list
  std::size_t index = 0;
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "a.b[2].c" or "a.b.2.c"; false when malformed.
bool parse_set_path(const std::string& p, std::vector<Segment>& out) {
  std::size_t i = 0;
  while (i < p.size()) {
    std::size_t end = i;
    while (end < p.size() && p[end] != '.' && p[end] != '[') ++end;
    if (end > i) {
      Segment s;
      s.key = p.substr(i, end - i);
      s.numeric = all_digits(s.key);
      if (s.numeric) s.index = std::stoul(s.key);
      out.push_back(s);
    } else if (p[i] != '[' || out.empty()) {
      return false;  // empty key: "a..b", ".a", "[0]"
    }
    i = end;
    while (i < p.size() && p[i] == '[') {
      const std::size_t close = p.find(']', i);
      if (close == std::string::npos) return false;
      Segment s;
      s.key = p.substr(i + 1, close - i - 1);
      if (!all_digits(s.key)) return false;
      s.bracket = s.numeric = true;
      s.index = std::stoul(s.key);
      out.push_back(s);
      i = close + 1;
    }
    if (i < p.size()) {
      if (p[i] != '.' || i + 1 == p.size()) return false;
      ++i;
    }
  }
  return !out.empty();
}

std::string canonical(const std::vector<Segment>& segs) {
  std::string p;
  for (const auto& s : segs) p = s.numeric ? at(p, s.index) : join(p, s.key);
  return p;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string name_of(const std::string& walked) { return walked.empty() ? "the scenario" : quote(walked); }

void apply_set(Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  const std::string key = eq == std::string::npos ? "" : trim(assignment.substr(0, eq));
  std::vector<Segment> segs;
  if (key.empty() || !parse_set_path(key, segs))
    throw ConfigError(kSetLoc, "",
                      "expected key.path=value (e.g. run.seed=7 or vms[0].memory_mib=256), got " + quote(assignment));
  const std::string full = canonical(segs);
  const std::string value_text = assignment.substr(eq + 1);

  Node value;
  try {
    value = convert(YAML::Load(value_text), "--set", true, full, 0);
  } catch (const YAML::Exception& e) {
    throw ConfigError(kSetLoc, full, "invalid value " + quote(value_text) + ": " + e.msg);
  }

  Node* cur = &root;
  std::string walked;
  for (std::size_t k = 0; k < segs.size(); ++k) {
    const Segment& s = segs[k];
    const bool last = k + 1 == segs.size();
    Node* child = nullptr;
    if (s.bracket || (s.numeric && cur->kind == Node::Kind::list)) {
      if (cur->kind != Node::Kind::list) throw ConfigError(kSetLoc, full, name_of(walked) + " is not a list");
      if (s.index >= cur->items.size())
        throw ConfigError(kSetLoc, full,
                          "index " + std::to_string(s.index) + " is out of range: " + name_of(walked) + " has " +
                              std::to_string(cur->items.size()) + (cur->items.size() == 1 ? " item" : " items"));
      child = &cur->items[s.index];
      walked = at(walked, s.index);
    } else {
      // An empty section ("run:" with nothing under it) is an empty mapping.
      if (cur->kind == Node::Kind::null) cur->kind = Node::Kind::mapping;
      if (cur->kind == Node::Kind::list)
        throw ConfigError(kSetLoc, full,
                          name_of(walked) + " is a list; select an item with an index, e.g. " + at(walked, 0));
      if (cur->kind != Node::Kind::mapping)
        throw ConfigError(kSetLoc, full, name_of(walked) + " is a scalar and has no field " + quote(s.key));
      child = cur->find(s.key);
      if (!child) {
        // Created levels are located at --set, so an unknown key reports there.
        Node fresh;
        fresh.loc = kSetLoc;
        cur->keys.push_back(s.key);
        cur->key_locs.push_back(kSetLoc);
        cur->items.push_back(fresh);
        child = &cur->items.back();
      }
      walked = join(walked, s.key);
    }
    if (last) *child = value;
    cur = child;
  }
}

// ---------------------------------------------------------------------------
// Spelling suggestions.

// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
// so "nmae" is one edit from "name".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The closest candidate when it is close enough to be a plausible typo.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(lower(word), lower(c));
    if (d < best_d && d <= std::max<std::size_t>(1, c.size() / 3)) best = c, best_d = d;
  }
  return best;
}

std::string unknown(const std::string& what, const std::string& word, const std::vector<std::string>& known) {
  std::string msg = "unknown " + what + " " + quote(word);
  const std::string s = suggest(word, known);
  if (!s.empty()) return msg + "; did you mean " + quote(s) + "?";
  if (known.empty()) return msg + " (none are defined)";
  return msg + "; expected one of " + join_list(known);
}

// ---------------------------------------------------------------------------
// Scalar parsing.

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
  bool overflow = false;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return IntParse::not_integer;
    if (mag > (UINT64_MAX - d) / base)
      overflow = true;
    else
      mag = mag * base + d;
  }
  return overflow ? IntParse::overflow : IntParse::ok;
}

std::string format_number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool is_word(const std::string& s, std::size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

const char* load_order_name(LoadOrder l) {
  switch (l) {
    case LoadOrder::pre_launched:
      return "PRE_LAUNCHED_VM";
    case LoadOrder::service_vm:
      return "SERVICE_VM";
    case LoadOrder::post_launched:
      return "POST_LAUNCHED_VM";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Schema.

const std::vector<std::string> kTopKeys = {"name", "description", "board", "hypervisor", "timing",
                                           "vms",  "ivshmem",     "run",   "workloads"};
const std::vector<std::string> kHypervisorKeys = {"max_vm_num", "scheduler"};
const std::vector<std::string> kTimingKeys = {"profile", "overrides"};
const std::vector<std::string> kVmKeys = {"id",           "name",       "load_order",       "vm_type",
                                          "cpu_affinity", "memory_mib", "lapic_passthrough"};
const std::vector<std::string> kRegionKeys = {"name", "provider", "size_mib", "region_id", "members"};
const std::vector<std::string> kMemberKeys = {"vm", "vbdf"};
const std::vector<std::string> kWorkloadKeys = {"name", "kind", "region", "roles", "params"};
const std::vector<std::string> kRoleKeys = {"vm", "vcpu"};
const std::vector<std::string> kRunKeys = {"seed", "quantum_ns"};

const std::vector<std::string> kSchedulers = {"SCHED_NOOP", "SCHED_IORR", "SCHED_BVT", "SCHED_PRIO"};
const std::vector<std::string> kLoadOrders = {"PRE_LAUNCHED_VM", "SERVICE_VM", "POST_LAUNCHED_VM"};
const std::vector<std::string> kVmTypes = {"RTVM", "STANDARD_VM", "TEE_VM", "REE_VM"};
const std::vector<std::string> kProviders = {"Hypervisor", "Device Model"};

constexpr long long kMaxHvRegions = 8;  // ACRN hypervisor/dm/vpci/ivshmem.c: mem_regions[8]
constexpr unsigned kPostLaunchedMinDev = 0x03, kPostLaunchedMaxDev = 0x1E;

class Loader {
 public:
  Loader(std::string file, std::vector<std::string>* warnings) : file_(std::move(file)), warnings_(warnings) {}

  Scenario load(const Node& root) {
    s_.source_file = file_;
    if (root.kind != Node::Kind::mapping)
      fail(root.loc, "", "expected a mapping of scenario keys (name, board, vms, ...), got " + describe(root));
    check_keys(root, "", kTopKeys);

    s_.name = read_name(required(root, "", "name"), "name");
    if (const Node* d = optional(root, "description"); d && d->kind != Node::Kind::null)
      s_.description = read_string(*d, "description");
    read_board(required(root, "", "board"));
    read_hypervisor(section(root, "", "hypervisor", Node::Kind::mapping));
    read_timing(section(root, "", "timing", Node::Kind::mapping));
    read_vms(required(root, "", "vms"));
    read_regions(section(root, "", "ivshmem", Node::Kind::list));
    read_workloads(section(root, "", "workloads", Node::Kind::list));
    read_run(section(root, "", "run", Node::Kind::mapping));
    return std::move(s_);
  }

 private:
  // --- generic helpers -----------------------------------------------------

  [[noreturn]] void fail(const SourceLocation& where, const std::string& path, const std::string& msg) const {
    throw ConfigError(where, path, msg);
  }

  void warn(const SourceLocation& w, const std::string& path, const std::string& msg) {
    std::string s = w.file.empty() ? std::string("<input>") : w.file;
    if (w.line > 0) {
      s += ":" + std::to_string(w.line);
      if (w.column > 0) s += ":" + std::to_string(w.column);
    }
    s += ": warning: " + (path.empty() ? "" : path + ": ") + msg;
    if (warnings_)
      warnings_->push_back(s);
    else
      std::cerr << s << "\n";
  }

  void note(const std::string& path, const SourceLocation& loc) { s_.locations[path] = loc; }

  void expect(const Node& n, const std::string& path, Node::Kind kind) {
    if (n.kind == kind) return note(path, n.loc);
    fail(n.loc, path,
         std::string(kind == Node::Kind::list ? "expected a list" : "expected a mapping") + ", got " + describe(n));
  }

  void check_keys(const Node& map, const std::string& path, const std::vector<std::string>& allowed) {
    for (std::size_t i = 0; i < map.keys.size(); ++i)
      if (std::find(allowed.begin(), allowed.end(), map.keys[i]) == allowed.end())
        fail(map.key_locs[i], path, unknown("key", map.keys[i], allowed));
  }

  const Node* optional(const Node& map, const std::string& key) const { return map.find(key); }

  const Node& required(const Node& map, const std::string& path, const std::string& key) {
    if (const Node* n = map.find(key)) return *n;
    fail(map.loc, path, "missing required key " + quote(key));
  }

  // An optional section; absent or empty ("ivshmem:") reads as not given.
  const Node* section(const Node& map, const std::string& path, const std::string& key, Node::Kind kind) {
    const Node* n = map.find(key);
    if (!n || n->kind == Node::Kind::null) return nullptr;
    expect(*n, join(path, key), kind);
    return n;
  }

  // Records where a defaulted field would have been written: its mapping.
  void note_default(const Node* map, const std::string& path) {
    if (map) note(path, map->loc);
  }

  std::string read_string(const Node& n, const std::string& path) {
    if (n.kind != Node::Kind::scalar) fail(n.loc, path, "expected a string, got " + describe(n));
    note(path, n.loc);
    return n.text;
  }

  std::string read_name(const Node& n, const std::string& path) {
    std::string s = read_string(n, path);
    if (s.empty()) fail(n.loc, path, "must not be empty");
    return s;
  }

  std::string read_choice(const Node& n, const std::string& path, const std::vector<std::string>& choices) {
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

  long long read_int(const Node& n, const std::string& path, long long lo, long long hi) {
    bool neg = false;
    u64 mag = 0;
    const IntParse r =
        n.kind == Node::Kind::scalar && n.plain ? parse_integer(n.text, neg, mag) : IntParse::not_integer;
    if (r == IntParse::not_integer) fail(n.loc, path, "expected an integer, got " + describe(n));
    const u64 lim = neg ? u64{1} << 63 : static_cast<u64>(LLONG_MAX);
    long long v = 0;
    bool in_range = r == IntParse::ok && mag <= lim;
    if (in_range) {
      v = neg ? (mag == 0 ? 0 : -static_cast<long long>(mag - 1) - 1) : static_cast<long long>(mag);
      in_range = v >= lo && v <= hi;
    }
    if (!in_range) {
      const std::string range = hi == LLONG_MAX
                                    ? "must be at least " + std::to_string(lo)
                                    : "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
      fail(n.loc, path, range + ", got " + n.text);
    }
    note(path, n.loc);
    return v;
  }

  u64 read_u64(const Node& n, const std::string& path) {
    bool neg = false;
    u64 mag = 0;
    const IntParse r =
        n.kind == Node::Kind::scalar && n.plain ? parse_integer(n.text, neg, mag) : IntParse::not_integer;
    if (r == IntParse::not_integer) fail(n.loc, path, "expected an integer, got " + describe(n));
    if (r == IntParse::overflow || (neg && mag != 0))
      fail(n.loc, path, "must be between 0 and " + std::to_string(UINT64_MAX) + ", got " + n.text);
    note(path, n.loc);
    return mag;
  }

  bool read_bool(const Node& n, const std::string& path) {
    static const std::vector<std::string> yes = {"true", "True", "TRUE"}, no = {"false", "False", "FALSE"};
    if (n.kind == Node::Kind::scalar && n.plain) {
      note(path, n.loc);
      if (std::find(yes.begin(), yes.end(), n.text) != yes.end()) return true;
      if (std::find(no.begin(), no.end(), n.text) != no.end()) return false;
    }
    fail(n.loc, path, "expected a boolean (true or false), got " + describe(n));
  }

  double read_number(const Node& n, const std::string& path) {
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

  // --- sections ------------------------------------------------------------

  void read_board(const Node& n) {
    s_.board = read_string(n, "board");
    const std::vector<std::string> names = board_names();
    if (std::find(names.begin(), names.end(), s_.board) == names.end())
      fail(n.loc, "board", unknown("board", s_.board, names));
  }

  void read_hypervisor(const Node* h) {
    if (h) check_keys(*h, "hypervisor", kHypervisorKeys);
    if (const Node* n = h ? optional(*h, "max_vm_num") : nullptr)
      s_.max_vm_num = static_cast<unsigned>(read_int(*n, "hypervisor.max_vm_num", 1, 64));
    else
      note_default(h, "hypervisor.max_vm_num");
    if (const Node* n = h ? optional(*h, "scheduler") : nullptr)
      s_.scheduler = read_choice(*n, "hypervisor.scheduler", kSchedulers);
    else
      note_default(h, "hypervisor.scheduler");
  }

  void read_timing(const Node* t) {
    if (!t) return;
    check_keys(*t, "timing", kTimingKeys);
    if (const Node* n = optional(*t, "profile"); n && n->kind != Node::Kind::null)
      s_.timing_profile = read_name(*n, "timing.profile");
    if (const Node* o = section(*t, "timing", "overrides", Node::Kind::mapping)) {
      // Field names and values are checked against the timing profile later;
      // the locations recorded here let that stage point at the line.
      for (std::size_t i = 0; i < o->keys.size(); ++i) {
        const std::string path = "timing.overrides." + o->keys[i];
        const Node& v = o->items[i];
        if (v.kind != Node::Kind::scalar) fail(v.loc, path, "expected a scalar value, got " + describe(v));
        s_.timing_overrides[o->keys[i]] = v.text;
        note(path, v.loc);
      }
    }
  }

  void read_vms(const Node& list) {
    expect(list, "vms", Node::Kind::list);
    if (list.items.empty()) fail(list.loc, "vms", "expected at least one VM");
    std::string service_vm;  // path of the Service VM, once seen
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const Node& n = list.items[i];
      const std::string p = at("vms", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kVmKeys);
      VmConfig vm;

      const Node& id = required(n, p, "id");
      const long long id_value = read_int(id, p + ".id", 0, LLONG_MAX);
      if (id_value >= static_cast<long long>(s_.max_vm_num))
        fail(id.loc, p + ".id",
             "VM id must be less than hypervisor.max_vm_num (" + std::to_string(s_.max_vm_num) + "), got " + id.text);
      vm.id = static_cast<unsigned>(id_value);
      for (std::size_t j = 0; j < s_.vms.size(); ++j)
        if (s_.vms[j].id == vm.id)
          fail(id.loc, p + ".id", "duplicate VM id " + std::to_string(vm.id) + " (also used by " + at("vms", j) + ")");

      const Node& name = required(n, p, "name");
      vm.name = read_string(name, p + ".name");
      if (!is_word(vm.name, 32))
        fail(name.loc, p + ".name", "VM name must be 1-32 word characters (letters, digits, _), got " + quote(vm.name));
      for (std::size_t j = 0; j < s_.vms.size(); ++j)
        if (s_.vms[j].name == vm.name)
          fail(name.loc, p + ".name", "duplicate VM name " + quote(vm.name) + " (also used by " + at("vms", j) + ")");

      const Node& lo = required(n, p, "load_order");
      const std::string order = read_choice(lo, p + ".load_order", kLoadOrders);
      vm.load_order = order == "PRE_LAUNCHED_VM" ? LoadOrder::pre_launched
                      : order == "SERVICE_VM"    ? LoadOrder::service_vm
                                                 : LoadOrder::post_launched;
      if (vm.load_order == LoadOrder::service_vm) {
        if (!service_vm.empty())
          fail(lo.loc, p + ".load_order", "only one SERVICE_VM is allowed (" + service_vm + " is already one)");
        service_vm = p;
      }

      if (const Node* t = optional(n, "vm_type"))
        vm.vm_type = read_choice(*t, p + ".vm_type", kVmTypes);
      else
        note_default(&n, p + ".vm_type");

      const Node& aff = required(n, p, "cpu_affinity");
      expect(aff, p + ".cpu_affinity", Node::Kind::list);
      if (aff.items.empty()) fail(aff.loc, p + ".cpu_affinity", "expected at least one pCPU");
      for (std::size_t j = 0; j < aff.items.size(); ++j) {
        const std::string cp = at(p + ".cpu_affinity", j);
        const auto pcpu = static_cast<unsigned>(read_int(aff.items[j], cp, 0, 65535));
        for (std::size_t k = 0; k < vm.pcpus.size(); ++k)
          if (vm.pcpus[k] == pcpu)
            fail(aff.items[j].loc, cp,
                 "pCPU " + std::to_string(pcpu) + " is listed twice (also " + at("cpu_affinity", k) + ")");
        vm.pcpus.push_back(pcpu);
      }

      vm.memory_mib = static_cast<u64>(read_int(required(n, p, "memory_mib"), p + ".memory_mib", 16, LLONG_MAX));

      if (const Node* l = optional(n, "lapic_passthrough"))
        vm.lapic_passthrough = read_bool(*l, p + ".lapic_passthrough");
      else
        note_default(&n, p + ".lapic_passthrough");

      s_.vms.push_back(std::move(vm));
    }
  }

  std::vector<std::string> vm_names() const {
    std::vector<std::string> v;
    for (const auto& vm : s_.vms) v.push_back(vm.name);
    return v;
  }

  void read_regions(const Node* list) {
    if (!list) return;
    std::map<std::string, std::map<u16, std::string>> vbdf_users;  // VM -> VBDF -> member path
    std::map<std::string, std::string> names[2];                   // per provider: name -> region path
    long long hv_regions = 0;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const Node& n = list->items[i];
      const std::string p = at("ivshmem", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kRegionKeys);
      RegionConfig r;

      const Node& name = required(n, p, "name");
      r.name = read_string(name, p + ".name");
      if (!is_word(r.name, 27))
        fail(name.loc, p + ".name",
             "region name must be 1-27 word characters (letters, digits, _), got " + quote(r.name));

      if (const Node* pr = optional(n, "provider"))
        r.provider = read_choice(*pr, p + ".provider", kProviders) == "Hypervisor" ? Provider::hypervisor
                                                                                   : Provider::device_model;
      else
        note_default(&n, p + ".provider");
      const bool hv = r.provider == Provider::hypervisor;
      if (hv && ++hv_regions > kMaxHvRegions)
        fail(n.loc, p,
             "at most " + std::to_string(kMaxHvRegions) +
                 " Hypervisor regions are supported (ACRN's mem_regions[8]); this is the " +
                 std::to_string(hv_regions) + "th");
      auto& seen = names[hv ? 0 : 1];
      if (auto it = seen.find(r.name); it != seen.end())
        fail(name.loc, p + ".name",
             std::string("duplicate ") + (hv ? "Hypervisor" : "Device Model") + " region name " + quote(r.name) +
                 " (also " + it->second + ")");
      seen[r.name] = p;

      const Node& size = required(n, p, "size_mib");
      r.size_mib = static_cast<u64>(read_int(size, p + ".size_mib", LLONG_MIN, LLONG_MAX));
      if (r.size_mib < 2 || r.size_mib > 512 || !is_power_of_two(r.size_mib))
        fail(size.loc, p + ".size_mib",
             "size must be one of 2, 4, 8, 16, 32, 64, 128, 256, 512 (MiB), got " + size.text);

      if (const Node* id = optional(n, "region_id"))
        r.region_id = static_cast<u16>(read_int(*id, p + ".region_id", 0, 65535));
      else
        note_default(&n, p + ".region_id");

      const Node& members = required(n, p, "members");
      const std::string mp = p + ".members";
      expect(members, mp, Node::Kind::list);
      for (std::size_t j = 0; j < members.items.size(); ++j)
        r.members.push_back(read_member(members.items[j], at(mp, j), r, vbdf_users));
      if (members.items.size() < 2)
        warn(members.loc, mp,
             "region has " + std::to_string(members.items.size()) +
                 (members.items.size() == 1 ? " member" : " members") + "; fewer than 2 means no other VM shares it");

      s_.regions.push_back(std::move(r));
    }
  }

  RegionMember read_member(const Node& n, const std::string& p, const RegionConfig& r,
                           std::map<std::string, std::map<u16, std::string>>& vbdf_users) {
    expect(n, p, Node::Kind::mapping);
    check_keys(n, p, kMemberKeys);
    RegionMember m;

    const Node& vm_node = required(n, p, "vm");
    m.vm = read_string(vm_node, p + ".vm");
    const VmConfig* vm = s_.find_vm(m.vm);
    if (!vm) fail(vm_node.loc, p + ".vm", unknown("VM", m.vm, vm_names()));
    for (std::size_t k = 0; k < r.members.size(); ++k)
      if (r.members[k].vm == m.vm)
        fail(vm_node.loc, p + ".vm",
             "VM " + quote(m.vm) + " is already a member of this region (" + at("members", k) + ")");
    if (r.provider == Provider::device_model && vm->load_order != LoadOrder::post_launched)
      fail(vm_node.loc, p + ".vm",
           "a Device Model region can only have POST_LAUNCHED_VM members; " + quote(m.vm) + " is " +
               load_order_name(vm->load_order));

    const Node& vbdf_node = required(n, p, "vbdf");
    const std::string text = read_string(vbdf_node, p + ".vbdf");
    const auto bdf = pci::Bdf::parse(text);
    if (!bdf)
      fail(vbdf_node.loc, p + ".vbdf",
           "expected a VBDF \"BB:DD.F\" in hex (device 00-1F, function 0-7, e.g. \"00:08.0\"), got " + quote(text));
    m.vbdf = *bdf;
    if (vm->load_order == LoadOrder::post_launched &&
        (m.vbdf.dev < kPostLaunchedMinDev || m.vbdf.dev > kPostLaunchedMaxDev)) {
      char dev[8];
      std::snprintf(dev, sizeof dev, "0x%02X", static_cast<unsigned>(m.vbdf.dev));
      fail(vbdf_node.loc, p + ".vbdf",
           std::string("device number ") + dev + " is not allowed in a post-launched VM (must be 0x03-0x1E)");
    }
    auto& used = vbdf_users[m.vm];
    if (auto it = used.find(m.vbdf.value()); it != used.end())
      fail(vbdf_node.loc, p + ".vbdf",
           "VBDF " + m.vbdf.to_string() + " is already used in VM " + quote(m.vm) + " by " + it->second);
    used[m.vbdf.value()] = p;
    return m;
  }

  void read_workloads(const Node* list) {
    if (!list) return;
    std::vector<std::string> kind_names;
    for (const auto& k : workload_kinds()) kind_names.push_back(k.name);
    std::vector<std::string> region_names;
    for (const auto& r : s_.regions) region_names.push_back(r.name);

    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const Node& n = list->items[i];
      const std::string p = at("workloads", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kWorkloadKeys);
      WorkloadConfig w;

      const Node& name = required(n, p, "name");
      w.name = read_name(name, p + ".name");
      for (std::size_t j = 0; j < s_.workloads.size(); ++j)
        if (s_.workloads[j].name == w.name)
          fail(name.loc, p + ".name",
               "duplicate workload name " + quote(w.name) + " (also used by " + at("workloads", j) + ")");

      const Node& kind_node = required(n, p, "kind");
      w.kind = read_string(kind_node, p + ".kind");
      const WorkloadKind* kind = find_workload_kind(w.kind);
      if (!kind) fail(kind_node.loc, p + ".kind", unknown("workload kind", w.kind, kind_names));

      const Node& region_node = required(n, p, "region");
      w.region = read_string(region_node, p + ".region");
      const RegionConfig* region = nullptr;
      for (const auto& r : s_.regions)
        if (r.name == w.region) {
          if (region)
            fail(region_node.loc, p + ".region",
                 "region name " + quote(w.region) +
                     " is ambiguous: a Hypervisor and a Device Model region both use it; rename one");
          region = &r;
        }
      if (!region) fail(region_node.loc, p + ".region", unknown("region", w.region, region_names));

      read_roles(required(n, p, "roles"), p + ".roles", *kind, *region, w);
      read_params(optional(n, "params"), &n, p + ".params", *kind, w);
      s_.workloads.push_back(std::move(w));
    }
  }

  void read_roles(const Node& roles, const std::string& rp, const WorkloadKind& kind, const RegionConfig& region,
                  WorkloadConfig& w) {
    expect(roles, rp, Node::Kind::mapping);
    std::vector<std::string> role_names;
    for (const auto& r : kind.roles) role_names.push_back(r.name);
    for (std::size_t k = 0; k < roles.keys.size(); ++k) {
      const std::string& role = roles.keys[k];
      if (std::find(role_names.begin(), role_names.end(), role) == role_names.end())
        fail(roles.key_locs[k], rp, unknown("role", role, role_names));
      const Node& v = roles.items[k];
      const std::string p = join(rp, role);
      expect(v, p, Node::Kind::mapping);
      check_keys(v, p, kRoleKeys);
      GuestRef g;

      const Node& vm_node = required(v, p, "vm");
      g.vm = read_string(vm_node, p + ".vm");
      const VmConfig* vm = s_.find_vm(g.vm);
      if (!vm) fail(vm_node.loc, p + ".vm", unknown("VM", g.vm, vm_names()));
      const bool member = std::any_of(region.members.begin(), region.members.end(),
                                      [&](const RegionMember& m) { return m.vm == g.vm; });
      if (!member) {
        std::vector<std::string> members;
        for (const auto& m : region.members) members.push_back(m.vm);
        fail(vm_node.loc, p + ".vm",
             "VM " + quote(g.vm) + " is not a member of region " + quote(region.name) +
                 " (members: " + (members.empty() ? std::string("none") : join_list(members)) + ")");
      }

      if (const Node* c = optional(v, "vcpu")) {
        const long long vcpu = read_int(*c, p + ".vcpu", 0, LLONG_MAX);
        const std::size_t n_vcpus = vm->pcpus.size();
        if (static_cast<unsigned long long>(vcpu) >= n_vcpus)
          fail(c->loc, p + ".vcpu",
               "vcpu must be less than " + std::to_string(n_vcpus) + " (VM " + quote(g.vm) + " has " +
                   std::to_string(n_vcpus) + (n_vcpus == 1 ? " vCPU" : " vCPUs") + "), got " + c->text);
        g.vcpu = static_cast<unsigned>(vcpu);
      } else {
        note_default(&v, p + ".vcpu");
      }
      w.roles[role] = g;
    }
    for (const auto& r : kind.roles)
      if (!w.roles.count(r.name))
        fail(roles.loc, rp,
             "missing role " + quote(r.name) + " (" + kind.name + " needs " + join_list(role_names) + ")");
  }

  void read_params(const Node* params, const Node* parent, const std::string& pp, const WorkloadKind& kind,
                   WorkloadConfig& w) {
    std::vector<std::string> names;
    for (const auto& s : kind.params) names.push_back(s.name);
    if (params && params->kind != Node::Kind::null) {
      expect(*params, pp, Node::Kind::mapping);
      for (std::size_t k = 0; k < params->keys.size(); ++k) {
        const std::string& key = params->keys[k];
        const auto spec =
            std::find_if(kind.params.begin(), kind.params.end(), [&](const ParamSpec& s) { return s.name == key; });
        if (spec == kind.params.end()) fail(params->key_locs[k], pp, unknown("parameter", key, names));
        w.params[key] = read_param(params->items[k], join(pp, key), *spec);
      }
    }
    for (const auto& spec : kind.params)
      if (!w.params.count(spec.name)) {
        w.params[spec.name] = spec.default_value;
        note_default(params && params->kind == Node::Kind::mapping ? params : parent, join(pp, spec.name));
      }
  }

  ParamValue read_param(const Node& n, const std::string& path, const ParamSpec& spec) {
    ParamValue v;
    v.type = spec.type;
    const bool bounded = !(spec.min == 0 && spec.max == 0);
    auto check_range = [&](double x) {
      if (bounded && (x < spec.min || x > spec.max))
        fail(n.loc, path,
             "must be between " + format_number(spec.min) + " and " + format_number(spec.max) +
                 (spec.unit.empty() ? "" : " " + spec.unit) + ", got " + n.text);
    };
    switch (spec.type) {
      case ParamValue::Type::integer:
        v.i = read_int(n, path, LLONG_MIN, LLONG_MAX);
        check_range(static_cast<double>(v.i));
        break;
      case ParamValue::Type::number:
        v.d = read_number(n, path);
        check_range(v.d);
        break;
      case ParamValue::Type::boolean:
        v.b = read_bool(n, path);
        break;
      case ParamValue::Type::string:
        v.s = read_string(n, path);
        if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), v.s) == spec.choices.end()) {
          std::string list;
          for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
          fail(n.loc, path, "expected one of " + list + ", got \"" + v.s + "\"");
        }
        break;
    }
    return v;
  }

  void read_run(const Node* r) {
    if (r) check_keys(*r, "run", kRunKeys);
    if (const Node* n = r ? optional(*r, "seed") : nullptr)
      s_.run.seed = read_u64(*n, "run.seed");
    else
      note_default(r, "run.seed");
    if (const Node* n = r ? optional(*r, "quantum_ns") : nullptr)
      s_.run.quantum_ns = static_cast<u64>(read_int(*n, "run.quantum_ns", 1, 1000000));
    else
      note_default(r, "run.quantum_ns");
  }

  std::string file_;
  std::vector<std::string>* warnings_;
  Scenario s_;
};

}  // namespace

Scenario load_scenario_text(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& sets, std::vector<std::string>* warnings) {
  Node root = parse_document(yaml_text, file_name);
  for (const auto& s : sets) apply_set(root, s);
  return Loader(file_name, warnings).load(root);
}

Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                            std::vector<std::string>* warnings) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    throw ConfigError(SourceLocation{path, 0, 0}, "",
                      std::string("cannot open scenario file: ") + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed)
    throw ConfigError(SourceLocation{path, 0, 0}, "", std::string("cannot read scenario file: ") + std::strerror(err));
  return load_scenario_text(text, path, sets, warnings);
}

}  // namespace ivsim
