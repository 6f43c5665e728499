"""Check or add the Apache License 2.0 header of every source file.

    python tools/license_headers.py          # list files without it; exit 1
    python tools/license_headers.py --fix    # add it where it is missing
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = """\
Licensed under the Apache License, Version 2.0 (the "License"); you may
not use this file except in compliance with the License. You may obtain
a copy of the License at

     http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
License for the specific language governing permissions and limitations
under the License.
"""

MARK = 'Licensed under the Apache License, Version 2.0'


def commented():
    return ''.join(('# ' + line).rstrip() + '\n'
                   for line in HEADER.splitlines())


def source_files(root=ROOT):
    """Tracked Python and shell files (the DevStack plugin's too, which
    have no extension; not its README)."""
    out = subprocess.run(['git', 'ls-files'], cwd=root, check=True,
                         capture_output=True, text=True).stdout.split()
    found = []
    for path in out:
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            continue
        if path.endswith(('.py', '.sh')) or (
                path.startswith('devstack/') and not path.endswith('.md')):
            found.append(path)
    return sorted(found)


def has_header(text):
    return MARK in text[:2000]


def with_header(text):
    """The text with the header after a shebang or encoding line."""
    lines = text.splitlines(keepends=True)
    keep = 0
    while keep < len(lines) and keep < 2 and (
            lines[keep].startswith('#!') or 'coding' in lines[keep]):
        keep += 1
    head = commented()
    rest = ''.join(lines[keep:])
    if rest.strip():
        head += '\n'
    return ''.join(lines[:keep]) + head + rest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--fix', action='store_true')
    args = parser.parse_args(argv)
    missing = []
    for path in source_files():
        full = os.path.join(ROOT, path)
        with open(full) as f:
            text = f.read()
        # Empty files (package markers) carry no header, as in OpenStack.
        if has_header(text) or not text.strip():
            continue
        missing.append(path)
        if args.fix:
            with open(full, 'w') as f:
                f.write(with_header(text))
    for path in missing:
        print(('added header: ' if args.fix else 'no header: ') + path)
    return 0 if args.fix or not missing else 1


if __name__ == '__main__':
    sys.exit(main())
