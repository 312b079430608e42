#include "platforms/xml_document.h"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "platforms/input_file.h"

namespace ivsim {

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

XmlDocument XmlDocument::load(const std::string& path, const std::string& what, const SourceLocation& where,
                              const std::string& field) {
  return parse(read_input_file(path, what, where, field), path);
}

XmlDocument XmlDocument::parse(std::string text, const std::string& file) {
  XmlDocument d;
  d.file_ = file;
  d.text_ = std::move(text);
  d.index_lines();
  d.doc_ = std::make_unique<pugi::xml_document>();
  // Offsets stay valid because pugixml parses a copy of the unchanged text.
  const pugi::xml_parse_result r = d.doc_->load_buffer(d.text_.data(), d.text_.size(), pugi::parse_default);
  if (!r) throw ConfigError(d.at_offset(r.offset), "", std::string("invalid XML: ") + r.description());
  return d;
}

void XmlDocument::index_lines() {
  line_starts_.assign(1, 0);
  for (std::size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

SourceLocation XmlDocument::at_offset(std::ptrdiff_t offset) const {
  if (offset < 0) return SourceLocation{file_, 0, 0};
  const auto off = std::min(static_cast<std::size_t>(offset), text_.size());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
  const auto line = static_cast<std::size_t>(it - line_starts_.begin());  // 1-based: the count of starts <= off
  return SourceLocation{file_, static_cast<int>(line), static_cast<int>(off - line_starts_[line - 1] + 1)};
}

SourceLocation XmlDocument::at(pugi::xml_node element) const {
  // pugixml points at the element's name; the tag starts one byte earlier.
  const std::ptrdiff_t off = element.offset_debug();
  return at_offset(off > 0 ? off - 1 : off);
}

std::ptrdiff_t XmlDocument::value_offset(pugi::xml_node element) const {
  for (pugi::xml_node c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_pcdata && c.type() != pugi::node_cdata) continue;
    std::size_t off = static_cast<std::size_t>(c.offset_debug());
    while (off < text_.size() && blank(text_[off])) ++off;
    return static_cast<std::ptrdiff_t>(off);
  }
  return -1;
}

SourceLocation XmlDocument::at_value(pugi::xml_node element) const {
  const std::ptrdiff_t off = value_offset(element);
  return off < 0 ? at(element) : at_offset(off);
}

SourceLocation XmlDocument::at_text_offset(pugi::xml_node element, std::size_t chars) const {
  const std::ptrdiff_t off = value_offset(element);
  return off < 0 ? at(element) : at_offset(off + static_cast<std::ptrdiff_t>(chars));
}

SourceLocation XmlDocument::at_attribute(pugi::xml_node element, const char* name) const {
  // pugixml keeps no offsets for attributes: scan the start tag for name="...".
  const std::ptrdiff_t start = element.offset_debug();
  if (start < 0) return at(element);
  const std::size_t end = text_.find('>', static_cast<std::size_t>(start));
  const std::string key = name;
  for (std::size_t p = text_.find(key, static_cast<std::size_t>(start)); p != std::string::npos && p < end;
       p = text_.find(key, p + 1)) {
    if (!blank(text_[p - 1])) continue;
    std::size_t q = p + key.size();
    while (q < end && blank(text_[q])) ++q;
    if (q >= end || text_[q] != '=') continue;
    ++q;
    while (q < end && blank(text_[q])) ++q;
    if (q < end && (text_[q] == '"' || text_[q] == '\'')) ++q;
    return at_offset(static_cast<std::ptrdiff_t>(q));
  }
  return at(element);
}

std::string xml_text(pugi::xml_node element) {
  const std::string t = element.child_value();
  const auto b = t.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return t.substr(b, t.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<pugi::xml_node> xml_children(pugi::xml_node element, const char* name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = element.child(name); c; c = c.next_sibling(name)) out.push_back(c);
  return out;
}

bool is_xml_path(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".xml") == 0; }

bool parse_xml_uint(const std::string& text, unsigned long long& value) {
  std::size_t i = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) base = 16, i = 2;
  if (i == text.size()) return false;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data() + i, end, value, base);
  return stop == end && ec == std::errc();
}

}  // namespace ivsim

namespace ivsim {

namespace {

void collect_unread(pugi::xml_node n, const std::string& path, const std::set<const void*>& read,
                    std::set<std::string>& out) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string p = path.empty() ? c.name() : path + "/" + c.name();
    if (read.count(c.internal_object()))
      collect_unread(c, p, read, out);
    else
      out.insert(p);
  }
}

}  // namespace

void log_unread_elements(const XmlDocument& doc, const std::set<const void*>& read, const std::string& what) {
  std::set<std::string> paths;
  collect_unread(doc.root(), "", read, paths);
  if (paths.empty()) return;
  std::string list;
  for (const auto& p : paths) list += (list.empty() ? "" : ", ") + p;
  spdlog::debug("{}: {} (accepted, not used): {}", doc.file(), what, list);
}

}  // namespace ivsim
