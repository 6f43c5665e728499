# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Every source file carries the Apache License 2.0 header."""

from tools import license_headers


def test_every_source_file_has_the_header():
    files = license_headers.source_files()
    assert any(f.endswith('driver.py') for f in files)
    assert any(f.endswith('.sh') for f in files)
    missing = [f for f in files
               if not license_headers.has_header(
                   open(license_headers.ROOT + '/' + f).read())
               and open(license_headers.ROOT + '/' + f).read().strip()]
    assert missing == []


def test_the_header_goes_after_a_shebang():
    text = license_headers.with_header('#!/bin/bash\necho hi\n')
    lines = text.splitlines()
    assert lines[0] == '#!/bin/bash'
    assert lines[1].startswith('# Licensed under the Apache License')
    assert lines[-1] == 'echo hi'
    assert license_headers.has_header(text)
    assert not license_headers.has_header('#!/bin/bash\necho hi\n')

