"""Files in the content folder that are no ordinary posts: FIFOs, devices, symlinks out of the
folder, posts beyond content.max_post_bytes. Each is one line naming the file, in build, send
and check alike, and none can hang a real process or make it read without end."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .digest_site import SECRET, DigestSite, bulletin_command

NOW_TEXT = "2026-04-12T10:00"
POST = "---\ntitle: {title}\ndate: '2026-04-01 10:00'\n---\n\nТекст поста.\n"
BLOG = Path(__file__).parent / "sites" / "blog"


def new_site(root: Path) -> DigestSite:
    site = DigestSite(root, None)
    (site.content / "good.md").write_text(POST.format(title="Good"), encoding="utf-8")
    return site


def run(site: DigestSite, command: str) -> subprocess.CompletedProcess[str]:
    """``bulletin COMMAND`` as a real process: a hang shows as a TimeoutExpired, not a stuck suite."""
    words = [command, "--config", str(site.config_path)]
    if command in ("build", "send"):
        words += ["--now", NOW_TEXT]
    return subprocess.run(
        [*bulletin_command(), *words],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=site.root,
        env={**os.environ, "BULLETIN_SECRET": SECRET},
    )


def error_lines(process: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in process.stderr
    return [line for line in (process.stdout + process.stderr).splitlines() if "Error" in line]


def assert_refused_everywhere(site: DigestSite, path: Path, message: str) -> None:
    """build, send and check each exit 1 with one error line naming ``path``; no feed is written."""
    for command in ("build", "send", "check"):
        process = run(site, command)
        assert process.returncode == 1, (command, process.stdout, process.stderr)
        lines = error_lines(process)
        assert len(lines) == 1, (command, lines)
        assert f"{path}: " in lines[0] and message in lines[0], (command, lines)
    assert not (site.root / "public" / "feed.xml").exists()
    assert not (site.root / "outbox").exists()


def test_a_fifo_post_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    pipe = site.content / "pipe.md"
    os.mkfifo(pipe)

    assert_refused_everywhere(site, pipe, "a FIFO (named pipe), not a regular file")


def test_a_symlink_to_dev_zero_is_never_read(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    zero = site.content / "zero.md"
    os.symlink("/dev/zero", zero)

    assert_refused_everywhere(site, zero, "leads to /dev/zero, outside the content folder")


def test_a_symlink_to_a_file_outside_the_content_folder_is_not_followed(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    outside = tmp_path / "private.md"
    outside.write_text(POST.format(title="Private notes"), encoding="utf-8")
    link = site.content / "notes.md"
    os.symlink(outside, link)

    assert_refused_everywhere(site, link, f"leads to {outside}, outside the content folder")


def test_a_symlink_inside_the_content_folder_is_read_as_grav_reads_it(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    (site.content / "shared").mkdir()
    (site.content / "shared" / "original.md").write_text(POST.format(title="Shared"), encoding="utf-8")
    os.symlink(Path("shared") / "original.md", site.content / "copy.md")

    process = run(site, "build")

    assert process.returncode == 0, process.stderr
    feed = (site.root / "public" / "feed.json").read_text(encoding="utf-8")
    assert '"url": "http' in feed and "/copy" in feed and "/shared/original" in feed


def test_a_post_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    site.configure(content={"max_post_bytes": 1000})
    big = site.content / "big.md"
    big.write_text(POST.format(title="Big") + "Слово " * 200, encoding="utf-8")
    size = big.stat().st_size

    assert_refused_everywhere(site, big, f"{size:,} bytes, more than content.max_post_bytes (1,000)")


def test_a_huge_sparse_post_is_refused_by_its_size_alone(tmp_path: Path) -> None:
    """64 GiB read would take minutes and all memory; the size check answers at once."""
    site = new_site(tmp_path / "site")
    sparse = site.content / "sparse.md"
    with open(sparse, "wb") as handle:
        handle.write(POST.format(title="Sparse").encode())
        handle.truncate(64 << 30)

    assert_refused_everywhere(site, sparse, "more than content.max_post_bytes (10,485,760)")


def test_a_raised_limit_admits_a_longer_post(tmp_path: Path) -> None:
    site = new_site(tmp_path / "site")
    site.configure(content={"max_post_bytes": 20_000})
    (site.content / "long.md").write_text(POST.format(title="Long") + "Слово " * 1500, encoding="utf-8")

    process = run(site, "build")

    assert process.returncode == 0, process.stderr
    assert "Long" in (site.root / "public" / "feed.json").read_text(encoding="utf-8")


def grav_site(tmp_path: Path) -> DigestSite:
    """The test Grav site's user/ folder as content.dir."""
    site = DigestSite(tmp_path / "site", None)
    shutil.rmtree(site.content)
    shutil.copytree(BLOG / "user", site.content)
    site.configure(feeds={"url": "https://clinic.example/feeds"})
    assert site.config.content.grav
    return site


@pytest.mark.parametrize("special", ["fifo", "zero"])
def test_a_grav_page_file_that_is_no_regular_file_is_refused(tmp_path: Path, special: str) -> None:
    site = grav_site(tmp_path)
    page = site.content / "pages" / "01.blog" / "flu-vaccination" / "item.md"
    page.unlink()
    if special == "fifo":
        os.mkfifo(page)
    else:
        os.symlink("/dev/zero", page)

    process = run(site, "build")

    assert process.returncode == 1, process.stderr
    [line] = error_lines(process)
    assert f"{page}: " in line


def test_a_folder_frontmatter_yaml_leading_out_of_the_site_is_refused(tmp_path: Path) -> None:
    site = grav_site(tmp_path)
    folder = site.content / "pages" / "01.blog" / "flu-vaccination"
    outside = tmp_path / "defaults.yaml"
    outside.write_text("taxonomy: {tag: [secret]}\n", encoding="utf-8")
    os.symlink(outside, folder / "frontmatter.yaml")

    process = run(site, "build")

    assert process.returncode == 1, process.stderr
    [line] = error_lines(process)
    assert f"{folder / 'frontmatter.yaml'}: leads to {outside}, outside the content folder" in line


def test_resolving_folders_once_gives_what_realpath_gives(tmp_path: Path, monkeypatch) -> None:
    """read_content_file resolves each folder once per reading of the site; every path it checks
    must resolve exactly as os.path.realpath resolves it (links to files, to folders, relative
    and absolute, chained, dangling, '..' and a relative start)."""
    from bulletin.site.content_files import _real_path

    (tmp_path / "site" / "blog" / "post").mkdir(parents=True)
    (tmp_path / "site" / "blog" / "post" / "item.md").write_text("x", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "item.md").write_text("x", encoding="utf-8")
    (tmp_path / "site" / "linked").symlink_to("blog/post")
    (tmp_path / "site" / "absolute").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "site" / "blog" / "file-link.md").symlink_to("post/item.md")
    (tmp_path / "site" / "chain").symlink_to("linked")
    (tmp_path / "site" / "dangling.md").symlink_to("nowhere.md")
    (tmp_path / "top").symlink_to("site")
    paths = [
        "site/blog/post/item.md",
        "site/linked/item.md",
        "site/absolute/item.md",
        "site/blog/file-link.md",
        "site/chain/item.md",
        "site/dangling.md",
        "site/missing/item.md",
        "top/blog/post/item.md",
        "top/linked/../blog/post/item.md",
        "site/./blog//post/item.md",
        "top",
        "site",
    ]
    monkeypatch.chdir(tmp_path)
    folders: dict[str, str] = {}
    for relative in paths:
        for path in (relative, str(tmp_path / relative)):
            real, seen = _real_path(path, folders)
            assert real == os.path.realpath(path), path
            if seen is not None:  # the file it saw, when the path itself is no link
                assert not os.path.islink(path)
                assert (seen.st_dev, seen.st_ino) == (os.lstat(path).st_dev, os.lstat(path).st_ino)
    assert folders, "folders are kept for the next file"


def test_a_file_swapped_for_a_link_after_its_check_is_not_read(tmp_path: Path, monkeypatch) -> None:
    """Between the containment check and the open, the file becomes a link out of the content
    folder: the open file is not the one checked, and nothing is read."""
    from bulletin.errors import ContentError
    from bulletin.site import content_files

    content = tmp_path / "content"
    (content / "post").mkdir(parents=True)
    page = content / "post" / "item.md"
    page.write_text("---\ntitle: A\n---\n", encoding="utf-8")
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: secret\n---\n", encoding="utf-8")
    checked = content_files._real_path

    def check_then_swap(path: str, folders: dict[str, str]):  # type: ignore[no-untyped-def]
        found = checked(path, folders)
        page.unlink()
        page.symlink_to(secret)  # a real link on the real file system, made mid-read
        return found

    monkeypatch.setattr(content_files, "_real_path", check_then_swap)
    with pytest.raises(ContentError, match="changed while being read"):
        content_files.read_content_file(str(page), content_files.limits_for(content))


@pytest.mark.parametrize("size", [0, 1, 4095, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 7])
def test_a_file_is_read_whole_in_one_read_or_many(tmp_path: Path, size: int) -> None:
    """One read suffices when the file ends where its stat said; longer files (past the 1 MiB
    chunk) still come whole, and a file at the limit is read, one byte past it is not."""
    from bulletin.errors import ContentError
    from bulletin.site.content_files import ReadLimits, read_content_file

    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "post.md"
    path.write_bytes(data)
    assert read_content_file(path, ReadLimits(str(tmp_path.resolve()), max_bytes=size)) == data
    if size:
        with pytest.raises(ContentError, match="more than content.max_post_bytes"):
            read_content_file(path, ReadLimits(str(tmp_path.resolve()), max_bytes=size - 1))
