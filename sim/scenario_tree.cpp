#include "sim/scenario_tree.h"

#include <algorithm>
#include <cctype>

#include "sim/suggest.h"
#include "sim/yaml_reader.h"

namespace ivsim {

const SourceLocation kSetLocation{"--set", 0, 0};

namespace {

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
  for (const auto& s : segs) p = s.numeric ? path_at(p, s.index) : path_join(p, s.key);
  return p;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string name_of(const std::string& walked) { return walked.empty() ? "the scenario" : quote(walked); }

}  // namespace

Node Node::scalar(std::string text, SourceLocation loc) {
  Node n;
  n.kind = Kind::scalar;
  n.text = std::move(text);
  n.loc = std::move(loc);
  return n;
}

Node Node::list(SourceLocation loc) {
  Node n;
  n.kind = Kind::list;
  n.loc = std::move(loc);
  return n;
}

Node Node::mapping(SourceLocation loc) {
  Node n;
  n.kind = Kind::mapping;
  n.loc = std::move(loc);
  return n;
}

const Node* Node::find(const std::string& key) const {
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

Node* Node::find(const std::string& key) { return const_cast<Node*>(static_cast<const Node*>(this)->find(key)); }

Node& Node::set(const std::string& key, Node value) {
  if (Node* existing = find(key)) {
    const std::size_t i = static_cast<std::size_t>(existing - items.data());
    key_locs[i] = value.loc;
    return *existing = std::move(value);
  }
  keys.push_back(key);
  key_locs.push_back(value.loc);
  items.push_back(std::move(value));
  return items.back();
}

std::string path_join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
std::string path_at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

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

void apply_set(Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  const std::string key = eq == std::string::npos ? "" : trim(assignment.substr(0, eq));
  std::vector<Segment> segs;
  if (key.empty() || !parse_set_path(key, segs))
    throw ConfigError(kSetLocation, "",
                      "expected key.path=value (e.g. run.seed=7 or vms[0].memory_mib=256), got " + quote(assignment));
  const std::string full = canonical(segs);
  const std::string value_text = assignment.substr(eq + 1);

  const Node value = parse_yaml_value(value_text, full);

  Node* cur = &root;
  std::string walked;
  for (std::size_t k = 0; k < segs.size(); ++k) {
    const Segment& s = segs[k];
    const bool last = k + 1 == segs.size();
    Node* child = nullptr;
    if (s.bracket || (s.numeric && cur->kind == Node::Kind::list)) {
      if (cur->kind != Node::Kind::list) throw ConfigError(kSetLocation, full, name_of(walked) + " is not a list");
      if (s.index >= cur->items.size())
        throw ConfigError(kSetLocation, full,
                          "index " + std::to_string(s.index) + " is out of range: " + name_of(walked) + " has " +
                              std::to_string(cur->items.size()) + (cur->items.size() == 1 ? " item" : " items"));
      child = &cur->items[s.index];
      walked = path_at(walked, s.index);
    } else {
      // An empty section ("run:" with nothing under it) is an empty mapping.
      if (cur->kind == Node::Kind::null) cur->kind = Node::Kind::mapping;
      if (cur->kind == Node::Kind::list)
        throw ConfigError(kSetLocation, full,
                          name_of(walked) + " is a list; select an item with an index, e.g. " + path_at(walked, 0));
      if (cur->kind != Node::Kind::mapping)
        throw ConfigError(kSetLocation, full, name_of(walked) + " is a scalar and has no field " + quote(s.key));
      child = cur->find(s.key);
      if (!child) {
        // Created levels are located at --set, so an unknown key reports there.
        Node fresh;
        fresh.loc = kSetLocation;
        child = &cur->set(s.key, fresh);
      }
      walked = path_join(walked, s.key);
    }
    if (last) *child = value;
    cur = child;
  }
}

}  // namespace ivsim
