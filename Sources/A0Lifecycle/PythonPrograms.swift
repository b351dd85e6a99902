/// a0's own Python programs, run with a release's interpreter. Every value
/// reaches them as an argument, never inside their text. They live in the
/// binary rather than as resource files: a0 installs as one file, and a
/// resource beside it would be one more file to copy, own and trust under sudo.
enum PythonPrograms {
  /// Compiles the release's own sources beside them (see `Stager.startPrecompile`).
  static let precompile = """
    import os, sys
    try:
        from _frozen_importlib_external import (
            _calc_mode, _code_to_timestamp_pyc, _write_atomic, cache_from_source)
        def compile_file(path):
            pyc = cache_from_source(path)
            if os.path.islink(pyc) or (os.path.exists(pyc) and not os.path.isfile(pyc)):
                raise OSError("%s is not a regular file" % pyc)
            with open(path, "rb") as source:
                stats = os.fstat(source.fileno())
                data = source.read()
            code = compile(data, path, "exec", dont_inherit=True)
            os.makedirs(os.path.dirname(pyc), exist_ok=True)
            _write_atomic(pyc, _code_to_timestamp_pyc(code, stats.st_mtime, stats.st_size), _calc_mode(path))
    except ImportError:
        import py_compile
        def compile_file(path):
            try:
                py_compile.compile(path, doraise=True)
            except py_compile.PyCompileError as error:
                raise SyntaxError(error.msg)
    root = sys.argv[1]
    errors = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))
                   and not (directory == root and d in (".git", ".venv"))]
        cache = os.path.join(directory, "__pycache__")
        if os.path.islink(cache) or (os.path.lexists(cache) and not os.path.isdir(cache)):
            errors += sum(1 for name in files if name.endswith(".py"))
            print("%s is not a directory of the release: nothing is compiled beside it" % cache, file=sys.stderr)
            continue
        for name in files:
            path = os.path.join(directory, name)
            if name.endswith(".py") and not os.path.islink(path):
                try:
                    compile_file(path)
                except (SyntaxError, ValueError, OSError) as error:
                    errors += 1
                    print("%s: %s" % (path, error), file=sys.stderr)
    print(errors, "files did not compile")
    """

  /// Imports each module named after the release directory, from that directory.
  static let importModules = """
    import importlib, sys
    sys.path.insert(0, sys.argv[1])
    for name in sys.argv[2:]:
        importlib.import_module(name)
        print("imported", name)
    """

  /// Parses each file named on the command line as JSON, TOML, YAML (when the venv has it) or `.env`; exits 1 when one does not parse.
  static let parseConfigFiles = """
    import json, sys
    failed = False
    for path in sys.argv[1:]:
        text = open(path, encoding="utf-8").read()
        try:
            if path.endswith(".json"):
                json.loads(text)
            elif path.endswith(".toml"):
                import tomllib
                tomllib.loads(text)
            elif path.endswith((".yaml", ".yml")):
                try:
                    import yaml
                except ImportError:
                    print(path, "not checked: PyYAML is not installed")
                    continue
                yaml.safe_load(text)
            else:
                for number, line in enumerate(text.splitlines(), 1):
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    if line.startswith("export "):
                        line = line[7:]
                    key, sep, _ = line.partition("=")
                    if not sep or not key.strip().replace("_", "a").isalnum():
                        raise ValueError("line %d is not KEY=VALUE" % number)
            print(path.rsplit("/", 1)[-1], "ok")
        except Exception as error:
            failed = True
            print(path.rsplit("/", 1)[-1], "does not parse:", error)
    sys.exit(1 if failed else 0)
    """
}
