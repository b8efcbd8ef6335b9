"""The input listing: a walk that holds one directory at a time gives the
files in exactly the order of their paths' bytes, as sorting the whole list
did, with the same hidden, excluded and symbolic-link rules."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import iter_inputs, list_inputs

# Name parts chosen around the byte of "/" (0x2f): "-" and "." sort before it, "0" and "a" after;
# \xe9 and \x80 are not UTF-8; a leading "." hides a file.
PARTS = [b"a", b"b", b"0", b".", b"-", b"_", b" ", b"\xc3\xa9", b"\xe9", b"\x80", b"A", b"~"]
segment = st.lists(st.sampled_from(PARTS), min_size=1, max_size=3).map(b"".join).filter(
    lambda s: s not in (b".", b".."))
tree = st.lists(st.lists(segment, min_size=1, max_size=4), min_size=1, max_size=25)
links = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), segment), max_size=3)


def sorted_walk(raw_dir: Path, exclude=(), follow_symlinks: bool = False) -> list[Path]:
    """The listing as it was before the walk streamed: os.walk, everything in a list, sorted.

    Each directory's subdirectories are taken in the walk's own order (the
    file system's order used to decide which of two ways to one directory
    won, which no test could pin down).
    """
    skip = {os.path.realpath(p) for p in exclude if p is not None}
    seen = {os.path.realpath(raw_dir)}
    found = []
    for top, dirs, files in os.walk(raw_dir, followlinks=follow_symlinks):
        dirs.sort(key=lambda d: os.fsencode(d))
        kept = []
        for d in dirs:
            path = os.path.join(top, d)
            real = os.path.realpath(path)
            if d.startswith(".") or real in skip:
                continue
            if os.path.islink(path) and not follow_symlinks:
                found.append(Path(path))
            elif real not in seen:
                seen.add(real)
                kept.append(d)
        kept.sort(key=lambda d: os.fsencode(d) + b"/")
        dirs[:] = kept
        found.extend(Path(top, f) for f in files if not f.startswith("."))
    return sorted(found, key=lambda p: os.fsencode(p.relative_to(raw_dir).as_posix()))


def make_tree(root: Path, paths: list[list[bytes]], symlinks) -> list[bytes]:
    """Files at ``paths`` (a part that is already a file is skipped), then links between directories."""
    base = os.fsencode(root)
    dirs = [base]
    for parts in paths:
        where = base
        for part in parts[:-1]:
            where = os.path.join(where, part)
            if os.path.isfile(where):
                break
            if not os.path.isdir(where):
                os.mkdir(where)
                dirs.append(where)
        else:
            target = os.path.join(where, parts[-1])
            if not os.path.exists(target):
                with open(target, "wb") as f:
                    f.write(b"x")
    for at, to, name in symlinks:  # into a sibling, a descendant or an ancestor (a loop)
        link = os.path.join(dirs[at % len(dirs)], name)
        if not os.path.lexists(link):
            os.symlink(dirs[to % len(dirs)], link)
    return dirs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=tree, symlinks=links, follow=st.booleans())
def test_the_streamed_order_is_the_sorted_order(paths, symlinks, follow):
    root = Path(tempfile.mkdtemp(prefix="listing-"))
    try:
        dirs = make_tree(root, paths, symlinks)
        exclude = (Path(os.fsdecode(dirs[-1])),) if len(dirs) > 2 else ()
        expected = sorted_walk(root, exclude, follow)
        assert list(iter_inputs(root, exclude, follow)) == expected
    finally:
        shutil.rmtree(root)


def test_a_file_sorts_before_a_directory_it_prefixes(tmp_path):
    for rel in ("a/b", "a.txt", "a0", "a-z/c", "b"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_inputs(tmp_path)]
    assert got == ["a-z/c", "a.txt", "a/b", "a0", "b"]


def test_hidden_excluded_and_looping_directories_are_not_listed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_bytes(b"x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "page.html").write_bytes(b"x")
    (tmp_path / ".notes.txt").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "articles.jsonl").write_bytes(b"x")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a loop when followed
    assert list_inputs(tmp_path, exclude=(tmp_path / "out",)) == [tmp_path / "sub/page.html", tmp_path / "sub/up"]
    assert list_inputs(tmp_path, exclude=(tmp_path / "out",), follow_symlinks=True) == [tmp_path / "sub/page.html"]


def test_the_walk_is_lazy(tmp_path):
    """The first file comes before the later directories are listed: nothing holds the whole tree."""
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "page.html").write_bytes(b"x")
    walk = iter_inputs(tmp_path)
    assert next(walk) == tmp_path / "a/page.html"
    shutil.rmtree(tmp_path / "b")  # gone before the walk reaches it: simply not listed
    assert list(walk) == []
