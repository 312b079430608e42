// The scenario as a located tree, before validation. YAML files, ACRN
// scenario XML and --set overrides all become this tree, so one validator
// (scenario_loader) checks every input the same way and every error can
// name the place it came from.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "platforms/config_error.h"

namespace ivsim {

struct Node {
  enum class Kind { null, scalar, list, mapping };
  Kind kind = Kind::null;
  std::string text;               // scalar text
  bool plain = true;              // scalar was neither quoted nor tagged: only plain scalars are numbers/booleans
  std::vector<Node> items;        // list items, or mapping values parallel to keys
  std::vector<std::string> keys;  // mapping keys, in file order
  std::vector<SourceLocation> key_locs;  // where each key is written
  SourceLocation loc;

  static Node scalar(std::string text, SourceLocation loc);
  static Node list(SourceLocation loc);
  static Node mapping(SourceLocation loc);

  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  // Adds or replaces a mapping entry (the key is located at the value).
  Node& set(const std::string& key, Node value);
};

// A whole scenario tree and what errors need to describe it.
struct ScenarioTree {
  Node root;
  std::string file;  // the scenario file as the user named it
  // Field path -> the path errors show instead. ACRN XML fills it so an
  // error names the element ("vm[1]/cpu_affinity/pcpu[0]/pcpu_id"), not the
  // YAML key the element was converted to ("vms[1].cpu_affinity[0]").
  std::map<std::string, std::string> shown_paths;
};

// Where --set values are located.
extern const SourceLocation kSetLocation;

// "a" + "b" -> "a.b"; "a", 2 -> "a[2]".
std::string path_join(const std::string& path, const std::string& key);
std::string path_at(const std::string& path, std::size_t index);

// "an empty value", "\"abc\"", "the string \"12\"", "a list", "a mapping".
std::string describe(const Node& n);

// Applies "key.path=value" (value is YAML, read by parse_yaml_value). Missing mapping levels are
// created; an index past the end of a list, or a path through a scalar, is
// an error located at --set.
void apply_set(Node& root, const std::string& assignment);

}  // namespace ivsim
