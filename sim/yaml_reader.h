// Reading YAML into the located scenario tree (sim/scenario_tree.h), with
// bounds, so no input can make the twin grow without limit:
// - exactly one document (yaml-cpp 0.7's LoadAll never ends on a file
//   holding only ",", upstream issue 1040; the reader stops after the first
//   document and refuses anything after it);
// - aliases are expanded while the tree is built, and the whole tree,
//   expansions included, may hold at most kMaxYamlNodes nodes and
//   kMaxYamlTextBytes bytes of scalar text (a "billion laughs" alias bomb is
//   refused at the alias that would pass the limit);
// - nesting at most kMaxYamlDepth levels.
// The size of a file itself is capped where it is read (platforms/input_file.h).
#pragma once

#include <cstddef>
#include <string>

#include "sim/scenario_tree.h"

namespace ivsim {

constexpr std::size_t kMaxYamlNodes = 100000;         // scalars, lists and mappings, keys included
constexpr std::size_t kMaxYamlTextBytes = 16u << 20;  // scalar text, keys included
constexpr int kMaxYamlDepth = 64;                     // nested lists and mappings

// Parses one YAML document; throws ConfigError located in `file`. No
// document at all (an empty file, only comments) gives a null node.
Node parse_yaml_tree(const std::string& text, const std::string& file);

// A --set value: the same rules, every node located at --set; errors name
// `path`, the field being set.
Node parse_yaml_value(const std::string& text, const std::string& path);

}  // namespace ivsim
