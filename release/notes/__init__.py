"""Release notes and the third-party versions page.

One module per edge, read -> decide (pure) -> render:

- `gitlog`: the git adapter (gitpython): refs, commits, files at a ref, changed paths;
- `changelog`: conventional commits grouped for the changelog (pure);
- `diff`: the third-party version diff between two manifests, and what it touches (pure);
- `checklist` / `checklist_load`: the operator rollout checklist model, its selection, and the
  validation of `checklists/*.yaml`;
- `bom`: the table of images, read from a release's bill of materials (`release.bom`);
- `markdown`: escaping and the Jinja2 environment every page is rendered with;
- `notes`: the release notes (inputs from git or from the sample, decided, rendered);
- `docs`: the third-party versions page.
"""
