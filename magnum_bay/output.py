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

"""Table, JSON and value output in the style of the openstack client."""

import datetime
import json

import prettytable


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _cell(value):
    value = _plain(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return '' if value is None else str(value)


def show(row, fmt, stream):
    """One object as Field | Value (table), a JSON object or bare values."""
    if fmt == 'json':
        stream.write(json.dumps({k: _plain(v) for k, v in row.items()},
                                indent=2, sort_keys=True) + '\n')
    elif fmt == 'value':
        for key in sorted(row):
            stream.write(_cell(row[key]) + '\n')
    else:
        table = prettytable.PrettyTable(['Field', 'Value'])
        table.align = 'l'
        for key in sorted(row):
            table.add_row([key, _cell(row[key])])
        stream.write(table.get_string() + '\n')


def listing(rows, columns, fmt, stream):
    """Several objects with the given columns."""
    if fmt == 'json':
        stream.write(json.dumps([{c: _plain(r.get(c)) for c in columns}
                                 for r in rows], indent=2) + '\n')
    elif fmt == 'value':
        for r in rows:
            stream.write(' '.join(_cell(r.get(c)) for c in columns) + '\n')
    else:
        table = prettytable.PrettyTable(columns)
        table.align = 'l'
        for r in rows:
            table.add_row([_cell(r.get(c)) for c in columns])
        stream.write(table.get_string() + '\n')
