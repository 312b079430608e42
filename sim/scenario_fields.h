// Reading single fields of the located scenario tree: each reader checks
// the node's type and range, records where the field was written (so later
// stages can point at it), and throws a ConfigError located at the node
// otherwise. The scenario loader (scenario_loader) and the checks that need
// the whole scenario (scenario_fit) share it.
#pragma once

#include <climits>
#include <map>
#include <string>
#include <vector>

#include "models/core/types.h"
#include "sim/scenario_tree.h"

namespace ivsim {

// "12", "0.5", "1e+20": how a range bound appears in a message.
std::string format_number(double v);

class FieldReader {
 public:
  FieldReader(const ScenarioTree& tree, std::vector<std::string>* warnings,
              std::map<std::string, SourceLocation>& locations)
      : tree_(tree), warnings_(warnings), locations_(locations) {}

  // The path an error shows: the XML element path for a node that came from
  // an XML file, else the field path. Values given on the command line
  // (--set, --seed) are shown by the field path.
  std::string shown(const std::string& path, const SourceLocation& where) const;
  // A field named inside a message ("also used by vms[1]").
  std::string ref(const std::string& path) const;

  [[noreturn]] void fail(const SourceLocation& where, const std::string& path, const std::string& msg) const;
  // "file:line:col: warning: path: message", to *warnings or stderr.
  void warn(const SourceLocation& w, const std::string& path, const std::string& msg);

  void note(const std::string& path, const SourceLocation& loc) { locations_[path] = loc; }
  // Records where a defaulted field would have been written: its mapping.
  void note_default(const Node* map, const std::string& path) {
    if (map) note(path, map->loc);
  }

  // Every scalar and key under `n` is valid UTF-8.
  void check_text(const Node& n, const std::string& path) const;
  void expect(const Node& n, const std::string& path, Node::Kind kind);
  void check_keys(const Node& map, const std::string& path, const std::vector<std::string>& allowed);
  const Node* optional(const Node& map, const std::string& key) const { return map.find(key); }
  const Node& required(const Node& map, const std::string& path, const std::string& key);
  // An optional section; absent or empty ("ivshmem:") reads as not given.
  const Node* section(const Node& map, const std::string& path, const std::string& key, Node::Kind kind);

  std::string read_string(const Node& n, const std::string& path);
  std::string read_name(const Node& n, const std::string& path);  // not empty
  std::string read_choice(const Node& n, const std::string& path, const std::vector<std::string>& choices);
  // An integer from lo to hi; `unit` ("MiB", "ns", "round trips") goes into
  // the error, which states the range: "must be between 1 and 1000000 ns".
  long long read_int(const Node& n, const std::string& path, long long lo, long long hi, const std::string& unit = "");
  // An integer whose allowed values `expected` describes ("size must be one
  // of 2, 4, ..., 512 (MiB)"); false when it does not fit 64 bits.
  bool read_int_value(const Node& n, const std::string& path, long long& value);
  u64 read_u64(const Node& n, const std::string& path);  // 0 to 2^64-1
  bool read_bool(const Node& n, const std::string& path);
  double read_number(const Node& n, const std::string& path);

 protected:
  const ScenarioTree& tree_;
  std::vector<std::string>* warnings_;
  std::map<std::string, SourceLocation>& locations_;
};

}  // namespace ivsim
