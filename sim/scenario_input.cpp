#include "sim/scenario_input.h"

#include "platforms/board_xml.h"
#include "platforms/data_dir.h"
#include "platforms/input_file.h"
#include "sim/acrn_launch_xml.h"
#include "sim/acrn_scenario_xml.h"
#include "sim/scenario_fit.h"
#include "sim/scenario_loader.h"
#include "sim/yaml_reader.h"

namespace ivsim {

namespace {

// The workloads file and --set over the tree, then the shared validation.
Scenario complete(ScenarioTree tree, const ScenarioInput& in, std::vector<std::string>* warnings) {
  if (!in.workloads.empty()) apply_workloads_file(tree, in.workloads);
  for (const auto& s : in.sets) apply_set(tree.root, s);
  if (in.seed && tree.root.kind == Node::Kind::mapping) {  // anything else: the validator reports the root
    const SourceLocation at{"--seed", 0, 0};
    Node* run = tree.root.find("run");
    if (!run || run->kind == Node::Kind::null) run = &tree.root.set("run", Node::mapping(at));
    if (run->kind == Node::Kind::mapping) run->set("seed", Node::scalar(*in.seed, at));
  }
  return validate_scenario_tree(tree, warnings);
}

// An ACRN scenario's tree, with its 2.x launch file if there is one.
ScenarioTree acrn_tree(const XmlDocument& doc, const ScenarioInput& in) {
  ScenarioTree tree = acrn_scenario_tree(doc, in.board);
  if (!in.launch_xml.empty())
    apply_acrn_launch_file(tree, XmlDocument::load(in.launch_xml, "launch file", SourceLocation{"--launch", 0, 0}));
  return tree;
}

}  // namespace

Scenario load_scenario(const ScenarioInput& in, std::vector<std::string>* warnings) {
  if (!in.scenario_xml.empty())
    return complete(
        acrn_tree(XmlDocument::load(in.scenario_xml, "scenario file", SourceLocation{in.scenario_xml, 0, 0}), in), in,
        warnings);
  ScenarioTree tree;
  tree.file = in.yaml.empty() ? default_scenario_path() : in.yaml;
  tree.root = parse_yaml_tree(read_input_file(tree.file, "scenario file", SourceLocation{tree.file, 0, 0}), tree.file);
  return complete(std::move(tree), in, warnings);
}

std::string validate_input_file(const std::string& path, const ScenarioInput& common,
                                std::vector<std::string>* warnings) {
  if (!is_xml_path(path)) {
    if (!common.launch_xml.empty())
      throw ConfigError(SourceLocation{"--launch", 0, 0}, "",
                        "--launch goes with the ACRN 2.x scenario file it was made for, not with " + path);
    ScenarioInput in = common;
    in.yaml = path;
    in.scenario_xml.clear();
    return "scenario " + load_scenario(in, warnings).name;
  }
  const XmlDocument doc = XmlDocument::load(path, "file", SourceLocation{path, 0, 0});
  if (is_acrn_board_file(doc)) {
    const Board board = read_board_xml(doc);
    check_board(board, SourceLocation{path, 0, 0}, "");  // what any run on it would refuse
    return "board " + board.name;
  }
  return "scenario " + complete(acrn_tree(doc, common), common, warnings).name;
}

}  // namespace ivsim
