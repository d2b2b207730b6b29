"""Project source read with `ast`, never imported: the helpers every stage shares.

`assay inspect`, triage, `assay edges`, `assay mutate` and `assay verify` all read the
project's files as text and syntax trees. Each used to carry its own copy of four small
jobs, and the copies disagreed (`lib/pkg/mod.py` was `pkg.mod` for two of them and
`lib.pkg.mod` for the third). They live here once:

- names.py: the dotted module name of a project file (one rule, relative to the import
  root the file is imported from), and back: the project file a dotted name imports,
  whether a name is the project's, a relative import made absolute;
- read.py: a project file read in the encoding it declares and parsed, once per reader;
- text.py: a file's lines split as Python splits them, and the text of an AST node cut
  from them by its positions (UTF-8 byte columns);
- inject/assay_functions.py: the functions a module defines, with their qualnames. It is
  standard-library only because the edges worker plugin imports it too (see its docstring).
"""
