// The bounded YAML reader: one document, aliases expanded under a node
// budget, nesting limited; every refusal a located ConfigError.
#include <catch2/catch.hpp>

#include <string>

#include "sim/scenario_tree.h"
#include "sim/yaml_reader.h"

using namespace ivsim;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_yaml_tree(text, "f.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// "Billion laughs": each level aliases the previous one ten times.
std::string alias_bomb(int levels) {
  std::string t = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    t += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) t += (k ? ", *a" : "*a") + std::to_string(i - 1);
    t += "]\n";
  }
  return t;
}

}  // namespace

TEST_CASE("yaml reader: a file holding only a comma is refused, not parsed forever", "[yaml_reader]") {
  CHECK(error_of(",") == "f.yaml:1:1: error: invalid YAML: unexpected ',' outside a flow collection");
}

TEST_CASE("yaml reader: exactly one document", "[yaml_reader]") {
  CHECK(error_of("a: 1\n---\nb: 2\n") == "f.yaml:2:1: error: expected one YAML document, found a second one here");
  CHECK(parse_yaml_tree("# only a comment\n", "f.yaml").kind == Node::Kind::null);
  CHECK(parse_yaml_tree("", "f.yaml").kind == Node::Kind::null);
}

TEST_CASE("yaml reader: an alias bomb stops at the node budget", "[yaml_reader]") {
  // Nine levels stand for 10^9 scalars; the budget stops the fifth.
  CHECK(error_of(alias_bomb(9)) ==
        "f.yaml:5:45: error: a4[7]: the document expands to more than 100000 nodes (aliases included); a scenario "
        "needs far fewer");
  // Aliases within the budget are expanded, each copy where the alias is.
  const Node n = parse_yaml_tree("a: &v [1, 2]\nb: *v\n", "f.yaml");
  REQUIRE(n.find("b")->kind == Node::Kind::list);
  CHECK(n.find("b")->items.size() == 2);
  CHECK(n.find("b")->loc.line == 2);
}

TEST_CASE("yaml reader: recursive aliases and deep nesting are refused", "[yaml_reader]") {
  CHECK(error_of("a: &a [*a]\n") ==
        "f.yaml:1:8: error: a[0]: an alias refers to a node that contains it (a recursive alias)");
  const std::string deep = std::string(70, '[') + std::string(70, ']');
  CHECK(error_of(deep).find("f.yaml:1:65: error: ") == 0);
  CHECK(error_of(deep).find("nesting is deeper than 64 levels") != std::string::npos);
  CHECK(error_of(std::string(5000, '[')).find("error: ") != std::string::npos);
}

TEST_CASE("yaml reader: keys are plain strings and unique", "[yaml_reader]") {
  CHECK(error_of("[a]: 1\n") == "f.yaml:1:1: error: mapping keys must be plain strings");
  CHECK(error_of("a: 1\nb:\n  c: 1\n  c: 2\n") == "f.yaml:4:3: error: b: duplicate key \"c\" (first at line 3)");
}

TEST_CASE("yaml reader: a --set value is one document too", "[yaml_reader]") {
  Node root = Node::mapping(kSetLocation);
  try {
    apply_set(root, "run.seed=,");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "--set: error: run.seed: invalid YAML: unexpected ',' outside a flow collection");
  }
  apply_set(root, "run.seed=7");
  CHECK(root.find("run")->find("seed")->text == "7");
}
