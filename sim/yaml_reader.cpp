#include "sim/yaml_reader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <optional>
#include <sstream>
#include <vector>

#include "sim/suggest.h"

namespace ivsim {

namespace {

// Thrown by the probe for a second document, to stop it at its start.
struct SecondDocument {
  YAML::Mark mark;
};

// Builds the tree from yaml-cpp's events, so every node carries its mark
// and aliases are copied under a budget (yaml-cpp's own node graph shares
// them, which is what lets a few lines stand for billions of nodes).
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string file, bool from_set, std::string base_path)
      : file_(std::move(file)), from_set_(from_set), base_path_(std::move(base_path)) {}

  std::optional<Node> root;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.loc = at(mark);
    charge(n.loc, 1, 0);
    complete(std::move(n), anchor, 1, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n = Node::scalar(value, at(mark));
    n.plain = tag == "?";  // only plain scalars are numbers and booleans
    charge(n.loc, 1, value.size());
    complete(std::move(n), anchor, 1, value.size());
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const SourceLocation loc = at(mark);
    if (anchor >= anchors_.size() || !anchors_[anchor].done)
      throw ConfigError(loc, current_path(), "an alias refers to a node that contains it (a recursive alias)");
    const Anchored& a = anchors_[anchor];
    charge(loc, a.nodes, a.bytes);
    Node copy = a.node;
    copy.loc = loc;  // the copy is where the alias is written
    complete(std::move(copy), 0, a.nodes, a.bytes);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::list(at(mark)), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::mapping(at(mark)), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    Node node;
    YAML::anchor_t anchor = 0;
    std::size_t nodes_before = 0, bytes_before = 0;  // totals when it opened: its own cost is the difference
    std::optional<Node> key;                         // a mapping's key waiting for its value
    std::string path;
  };
  struct Anchored {
    Node node;
    std::size_t nodes = 0, bytes = 0;
    bool done = false;
  };

  SourceLocation at(const YAML::Mark& m) const {
    if (from_set_) return kSetLocation;
    return SourceLocation{file_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
  }

  // The path of the node about to complete, for errors.
  std::string current_path() const {
    if (stack_.empty()) return base_path_;
    const Open& o = stack_.back();
    if (o.node.kind == Node::Kind::list) return path_at(o.path, o.node.items.size());
    return o.key ? path_join(o.path, o.key->text) : o.path;
  }

  void charge(const SourceLocation& loc, std::size_t nodes, std::size_t bytes) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > kMaxYamlNodes)
      throw ConfigError(loc, current_path(),
                        "the document expands to more than " + std::to_string(kMaxYamlNodes) +
                            " nodes (aliases included); a scenario needs far fewer");
    if (bytes_ > kMaxYamlTextBytes)
      throw ConfigError(loc, current_path(),
                        "the document expands to more than " + std::to_string(kMaxYamlTextBytes >> 20) +
                            " MiB of text (aliases included)");
  }

  void remember(YAML::anchor_t anchor, const Node& n, std::size_t nodes, std::size_t bytes) {
    if (anchor == 0) return;
    // Nested anchors each keep a copy: those count against the budget too.
    stored_nodes_ += nodes;
    if (stored_nodes_ > kMaxYamlNodes)
      throw ConfigError(n.loc, current_path(),
                        "anchors hold more than " + std::to_string(kMaxYamlNodes) + " nodes in all");
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    anchors_[anchor] = Anchored{n, nodes, bytes, true};
  }

  void open(Node n, YAML::anchor_t anchor) {
    const std::string path = current_path();
    charge(n.loc, 1, 0);
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth)
      throw ConfigError(n.loc, path.size() > 60 ? path.substr(0, 60) + "..." : path,
                        "nesting is deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    if (anchor != 0) {  // an alias to it before it closes is recursive
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor].done = false;
    }
    stack_.push_back(Open{std::move(n), anchor, nodes_ - 1, bytes_, std::nullopt, path});
  }

  void close() {
    Open o = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(o.node), o.anchor, nodes_ - o.nodes_before, bytes_ - o.bytes_before);
  }

  // A finished node goes to its parent: the root, a list item, a mapping
  // key or a mapping value.
  void complete(Node n, YAML::anchor_t anchor, std::size_t nodes, std::size_t bytes) {
    remember(anchor, n, nodes, bytes);
    if (stack_.empty()) {
      root = std::move(n);
      return;
    }
    Open& o = stack_.back();
    if (o.node.kind == Node::Kind::list) {
      o.node.items.push_back(std::move(n));
      return;
    }
    if (!o.key) {
      if (n.kind != Node::Kind::scalar) throw ConfigError(n.loc, o.path, "mapping keys must be plain strings");
      for (std::size_t i = 0; i < o.node.keys.size(); ++i)
        if (o.node.keys[i] == n.text) {
          std::string msg = "duplicate key " + quote(n.text);
          if (o.node.key_locs[i].line > 0) msg += " (first at line " + std::to_string(o.node.key_locs[i].line) + ")";
          throw ConfigError(n.loc, o.path, msg);
        }
      o.key = std::move(n);
      return;
    }
    o.node.keys.push_back(o.key->text);
    o.node.key_locs.push_back(o.key->loc);
    o.node.items.push_back(std::move(n));
    o.key.reset();
  }

  std::string file_;
  bool from_set_;
  std::string base_path_;
  std::vector<Open> stack_;
  std::vector<Anchored> anchors_;  // by yaml-cpp's anchor number
  std::size_t nodes_ = 0, bytes_ = 0;
  std::size_t stored_nodes_ = 0;  // nodes kept for aliases
};

// Stops at the start of a second document.
class SecondDocumentProbe : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { throw SecondDocument{mark}; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Node parse(const std::string& text, const std::string& file, bool from_set, const std::string& path) {
  auto where = [&](const YAML::Mark& m) {
    return from_set ? kSetLocation
                    : SourceLocation{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
  };
  std::istringstream in(text);
  TreeBuilder builder(file, from_set, path);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder) || !builder.root) {
      Node empty;
      empty.loc = from_set ? kSetLocation : SourceLocation{file, 0, 0};
      return empty;
    }
    SecondDocumentProbe probe;
    try {
      parser.HandleNextDocument(probe);
    } catch (const SecondDocument& second) {
      // yaml-cpp reads a stray flow indicator as an empty document that
      // consumes nothing: name the character instead of a "document".
      const std::size_t pos = second.mark.pos >= 0 ? static_cast<std::size_t>(second.mark.pos) : text.size();
      if (pos < text.size() && (text[pos] == ',' || text[pos] == ']' || text[pos] == '}'))
        throw ConfigError(where(second.mark), path,
                          std::string("invalid YAML: unexpected '") + text[pos] + "' outside a flow collection");
      throw ConfigError(where(second.mark), path, "expected one YAML document, found a second one here");
    }
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(where(e.mark), path, "invalid YAML: nesting is too deep");
  } catch (const YAML::Exception& e) {
    throw ConfigError(where(e.mark), path,
                      (from_set ? "invalid value " + quote(text) + ": " : "invalid YAML: ") + e.msg);
  }
  return std::move(*builder.root);
}

}  // namespace

Node parse_yaml_tree(const std::string& text, const std::string& file) { return parse(text, file, false, ""); }

Node parse_yaml_value(const std::string& text, const std::string& path) { return parse(text, "--set", true, path); }

}  // namespace ivsim
