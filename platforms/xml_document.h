// An ACRN XML file (board or scenario) parsed with pugixml, keeping what a
// located error needs: the file name and the text, so a node's byte offset
// becomes a line and column.
//
// Element paths in errors are relative to the root element, with a 0-based
// index on repeatable elements: "hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/NAME",
// "vm[2]/cpu_affinity/pcpu[1]/pcpu_id", "vm[0]/@id".
#pragma once

#include <pugixml.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "platforms/config_error.h"

namespace ivsim {

class XmlDocument {
 public:
  // Reads and parses `path`. A file that cannot be read is an error at
  // `where` (field path `field`) naming `what` ("board file", "scenario
  // file"); malformed XML is an error at the parser's position in the file.
  static XmlDocument load(const std::string& path, const std::string& what, const SourceLocation& where,
                          const std::string& field = "");
  // Parses `text` as if read from `file` (tests, embedded fixtures).
  static XmlDocument parse(std::string text, const std::string& file);

  const std::string& file() const { return file_; }
  pugi::xml_node root() const { return doc_->document_element(); }

  // An element: where its start tag begins ('<').
  SourceLocation at(pugi::xml_node element) const;
  // An element's value: its first non-blank text character; the element
  // itself when it has no text.
  SourceLocation at_value(pugi::xml_node element) const;
  // An attribute's value (just after the opening quote), else the element.
  SourceLocation at_attribute(pugi::xml_node element, const char* name) const;
  // The location `chars` characters into the element's trimmed text (for
  // values that pack several fields, as ACRN 2.x's IVSHMEM_REGION does).
  SourceLocation at_text_offset(pugi::xml_node element, std::size_t chars) const;
  SourceLocation at_offset(std::ptrdiff_t offset) const;

 private:
  XmlDocument() = default;
  void index_lines();
  std::ptrdiff_t value_offset(pugi::xml_node element) const;  // -1 when the element has no text

  std::string file_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
  std::unique_ptr<pugi::xml_document> doc_;
};

// The element's text with surrounding blanks removed ("" when none).
std::string xml_text(pugi::xml_node element);

// The element's child elements with this name, in document order.
std::vector<pugi::xml_node> xml_children(pugi::xml_node element, const char* name);

// A path naming an XML file (".xml"): how a board or scenario argument is
// told from a shipped board name or a YAML scenario.
bool is_xml_path(const std::string& path);

// Parses ACRN's integers as its tools do: "0x..." hexadecimal, else decimal.
// False when `text` is not such a number or does not fit 64 bits.
bool parse_xml_uint(const std::string& text, unsigned long long& value);

// The element paths (without indices) under `root` whose elements are not
// in `read` (pugixml's internal objects of the elements a reader used),
// listed once at debug log level as "FILE: WHAT (accepted, not used): ...".
void log_unread_elements(const XmlDocument& doc, const std::set<const void*>& read, const std::string& what);

}  // namespace ivsim
