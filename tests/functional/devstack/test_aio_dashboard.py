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

"""The dashboard in a real browser (Debian's headless chromium, selenium),
on the session's all-in-one (conftest.py), as the demo tenant.

Log in; launch an instance of a Docker image with the Launch Instance
wizard (image, flavor and network chosen by their exact names: the cloud
is shared with the other test files, which make networks of their own);
see it Active with its address; its Overview, Log and Console tabs (a
command typed in the console answers from inside the container); shut it
off and start it again; delete it. Every panel of the Project menu opens
without an error (those of services the cloud lacks are not in it); the
flavor's limits show in the wizard and on the instance's page, and are the
container's. A stack of containers is launched from one of the project's
example templates in the Orchestration panel, its resources listed, and it
is deleted there. Each page is saved as a screenshot under
``$DOS_STATE/dashboard-shots/`` for a person to look at; a Horizon error
page or a red message fails the test at once, not at a timeout.
"""

import contextlib
import os
import re
import shutil
import time
from urllib import parse
import uuid

import pytest

from tests.functional.devstack.conftest import wait

webdriver = pytest.importorskip('selenium.webdriver')
from selenium.common import exceptions as sel_exc  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
#: Seconds each page element gets (CI runs the other groups beside this
#: one on two cores).
STEP = 60
IMAGE, FLAVOR = 'dos-idle', 'docker.tiny'
CIDR = '10.77.0.0/24'
#: What docker.tiny gives an instance (tools/aio/bootstrap.py's FLAVORS).
FLAVOR_RAM_MB, FLAVOR_VCPUS, FLAVOR_DISK_GB = 64, 1, 1
#: The example launched from the Orchestration panel, its parameters, and
#: the resources (name -> type) its Resources tab must list.
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'examples',
    'web_with_network_and_volume.yaml')
EXAMPLE_PARAMETERS = {'image': 'dos/httpd'}
EXAMPLE_RESOURCES = {'net': 'OS::Docker::Network',
                     'data': 'OS::Docker::Volume',
                     'web': 'OS::Docker::Container',
                     'client': 'OS::Docker::Container'}
#: Project panels the all-in-one's dashboard must offer, and those it must
#: not (no Cinder, no Swift; the Template Generator needs both Cinder and
#: Neutron QoS: tools/aio/horizon.py).
PANELS = {'/project/', '/project/instances/', '/project/images/',
          '/project/key_pairs/', '/project/networks/', '/project/routers/',
          '/project/security_groups/', '/project/floating_ips/',
          '/project/stacks/', '/project/resource_types/'}
NO_PANELS = {'/project/volumes/', '/project/snapshots/',
             '/project/backups/', '/project/containers/',
             '/project/template_generator/'}

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip('Debian\'s chromium and chromium-driver are missing '
                '(make setup installs them)', allow_module_level=True)


class Dashboard:
    """The browser, logged in to the cloud's Horizon, and the names of what
    this module made."""

    def __init__(self, aio, driver, shots):
        self.aio = aio
        self.driver = driver
        self.shots = shots
        self.url = aio.lay.url('horizon', '/')
        suffix = uuid.uuid4().hex[:8]
        self.network = 'e2e-dash-net-' + suffix
        self.server = 'e2e-dash-vm-' + suffix
        self.stack = 'e2e-dash-stack-' + suffix
        self.server_id = None
        self._shot = 0

    # -- pages -------------------------------------------------------------

    def wait(self, condition, what, timeout=STEP):
        try:
            return WebDriverWait(self.driver, timeout, 0.5,
                                 ignored_exceptions=[
                                     sel_exc.StaleElementReferenceException
                                 ]).until(condition)
        except sel_exc.TimeoutException:
            self.screenshot('timeout')
            raise AssertionError('timed out (%d s) waiting for %s on %s' % (
                timeout, what, self.driver.current_url))

    def screenshot(self, name):
        self._shot += 1
        path = os.path.join(self.shots, '%02d-%s.png' % (self._shot, name))
        try:
            self.driver.save_screenshot(path)
        except sel_exc.WebDriverException:
            pass
        return path

    def check_no_error(self, warnings=False):
        """Fail at once on Horizon's error page or a red message (with
        ``warnings``, a yellow one too: what Horizon shows when an API
        call of the page failed)."""
        d = self.driver
        title = d.title or ''
        if 'Something went wrong' in d.page_source or 'Error' in title:
            raise AssertionError('Horizon error page at %s: %s' % (
                d.current_url, self.screenshot('error-page')))
        kinds = '.alert-danger, .alert-warning' if warnings else \
            '.alert-danger'
        for alert in d.find_elements(By.CSS_SELECTOR, kinds):
            if alert.is_displayed() and alert.text.strip():
                raise AssertionError('%s message at %s: %r (%s)' % (
                    'red' if 'alert-danger' in (alert.get_attribute(
                        'class') or '') else 'yellow',
                    d.current_url, alert.text.strip(),
                    self.screenshot('alert')))

    def settle(self, what):
        """Wait until the page has loaded and Angular (where the page uses
        it) has no request pending: a red toast of a failed API call is up
        by then."""
        self.wait(lambda d: d.execute_script(
            "if (document.readyState !== 'complete') return false;"
            "if (!window.angular) return true;"
            "var i = angular.element(document.body).injector();"
            "return !i || i.get('$http').pendingRequests.length === 0;"),
            'the page (and its Angular requests) %s to finish' % what)

    def open(self, path, ready, what):
        self.driver.get(self.url + path.lstrip('/'))
        found = self.wait(lambda d: self._visible(ready), what)
        self.check_no_error()
        return found

    def _visible(self, locator, pick=None):
        for el in self.driver.find_elements(*locator):
            try:
                if el.is_displayed() and el.is_enabled() and (
                        pick is None or pick(el)):
                    return el
            except sel_exc.StaleElementReferenceException:
                continue
        return None

    def click(self, locator, what, pick=None):
        el = self.wait(lambda d: self._visible(locator, pick), what)
        try:
            el.click()
        except sel_exc.ElementClickInterceptedException:
            self.driver.execute_script('arguments[0].click();', el)
        return el

    def login(self, user='demo', password=None):
        from tools.aio import layout
        self.open('/auth/login/', (By.ID, 'id_username'), 'the login form')
        d = self.driver
        d.find_element(By.ID, 'id_username').send_keys(user)
        d.find_element(By.ID, 'id_password').send_keys(
            password or layout.DEMO_PASSWORD)
        self.screenshot('login')
        d.find_element(By.ID, 'loginBtn').click()
        self.wait(lambda d: '/auth/login' not in d.current_url,
                  'the login to finish')
        self.check_no_error()


def _driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--disable-gpu', '--window-size=1400,1000',
                '--no-proxy-server', '--disable-extensions'):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    return driver


@pytest.fixture(scope='module')
def dash(aio):
    shots = os.path.join(aio.lay.state, 'dashboard-shots')
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    driver = _driver()
    board = Dashboard(aio, driver, shots)
    # The demo tenant's own network, named for this module alone.
    aio.openstack('network', 'create', board.network, cloud='aio-demo')
    aio.openstack('subnet', 'create', '--network', board.network,
                  '--subnet-range', CIDR, board.network + '-subnet',
                  cloud='aio-demo')
    try:
        board.login()
        yield board
    finally:
        driver.quit()
        heat = aio.heat('aio-demo')
        for stack in heat.stacks.list():
            if stack.stack_name == board.stack:
                heat.stacks.delete(stack.id)
        wait(lambda: not [s for s in heat.stacks.list()
                          if s.stack_name == board.stack],
             120, 'the dashboard test\'s stack deleted')
        nova = aio.nova('aio-demo')
        mine = [s for s in nova.servers.list()
                if s.name.startswith(board.server)]
        for server in mine:
            server.delete()
        wait(lambda: not [s for s in nova.servers.list()
                          if s.name.startswith(board.server)],
             120, 'the dashboard test\'s servers deleted')
        aio.openstack('network', 'delete', board.network, cloud='aio-demo',
                      check=False)


@contextlib.contextmanager
def _on_failure(board, name):
    try:
        yield
    except BaseException:
        board.screenshot('failed-' + name)
        raise


def _row_button(name, arrow):
    """The allocate (arrow-up) or deallocate (arrow-down) button of the
    transfer-table row whose cell reads exactly ``name``."""
    return (By.XPATH, "//tr[td[normalize-space(.)='%s'] or .//hz-field["
                      "normalize-space(.)='%s']]//button[contains(@class,"
                      "'fa-arrow-%s')]" % (name, name, arrow))


def _step(board, title):
    board.click((By.XPATH, "//li[contains(@class,'nav-item')]"
                           "[.//span[normalize-space(.)='%s']]" % title),
                'the wizard step %s' % title)
    board.wait(lambda d: board._visible(
        (By.XPATH, "//li[contains(@class,'nav-item') and contains("
                   "@class,'active')][.//span[normalize-space(.)='%s']]"
         % title)), 'the wizard step %s to open' % title)


def _allocate(board, step, name):
    """Allocate exactly ``name`` in the wizard's ``step`` (Horizon
    allocates a project's only network by itself: then it is there
    already); anything else allocated there is given back."""
    _step(board, step)
    ours, theirs = _row_button(name, 'up'), _row_button(name, 'down')
    found = board.wait(lambda d: board._visible(ours) or board._visible(
        theirs), '%s in the %s step' % (name, step))
    if 'fa-arrow-up' in (found.get_attribute('class') or ''):
        board.click(ours, '%s in the %s step' % (name, step))
    board.wait(lambda d: board._visible(theirs),
               '%s allocated in the %s step' % (name, step))
    others = (By.XPATH, "//button[contains(@class,'fa-arrow-down')]")
    for _ in range(10):
        extra = board._visible(others, pick=lambda el: el != board._visible(
            theirs))
        if extra is None:
            break
        extra.click()
    board.check_no_error()
    board.screenshot('wizard-' + step.lower())


def test_instances_page_after_login(dash):
    with _on_failure(dash, 'instances'):
        dash.open('/project/instances/',
                  (By.ID, 'instances__action_launch-ng'),
                  'the Launch Instance button')
        dash.screenshot('instances')
        # heat-dashboard's panels are there too.
        dash.open('/project/stacks/', (By.ID, 'stacks'), 'the stacks table')
        dash.screenshot('stacks')


def test_every_project_panel_opens_without_an_error(dash):
    """Each panel the Project menu offers loads, Angular's calls included,
    with no error page and no red or yellow message (a panel whose API
    calls fail warns on every visit); the panels of services this cloud
    lacks are not offered."""
    with _on_failure(dash, 'panels'):
        dash.open('/project/', (By.CSS_SELECTOR, 'a.openstack-panel'),
                  'the menu\'s panels')
        links = [el.get_attribute('href') for el in
                 dash.driver.find_elements(By.CSS_SELECTOR,
                                           'a.openstack-panel')]
        paths = sorted({p for p in (parse.urlsplit(h).path for h in links
                                    if h) if p.startswith('/project/')})
        assert PANELS <= set(paths), sorted(PANELS - set(paths))
        assert not NO_PANELS & set(paths), sorted(NO_PANELS & set(paths))
        for path in paths:
            dash.driver.get(dash.url + path.lstrip('/'))
            dash.settle(path)
            dash.check_no_error(warnings=True)
            dash.screenshot('panel-' + (path.strip('/').split('/')[-1]))


def test_launch_instance_wizard(dash):
    aio = dash.aio
    with _on_failure(dash, 'launch'):
        dash.open('/project/instances/',
                  (By.ID, 'instances__action_launch-ng'),
                  'the Launch Instance button')
        dash.click((By.ID, 'instances__action_launch-ng'),
                   'the Launch Instance button')
        name = dash.wait(lambda d: dash._visible((By.ID, 'name')),
                         'the instance name field')
        name.send_keys(dash.server)
        dash.screenshot('wizard-details')
        _allocate(dash, 'Source', IMAGE)
        _allocate(dash, 'Flavor', FLAVOR)
        # The flavor's limits as the wizard shows them (the allocated row).
        limits = dash.wait(lambda d: dash._visible(
            (By.XPATH, "//tr[td[normalize-space(.)='%s']][.//button["
                       "contains(@class,'fa-arrow-down')]]" % FLAVOR)),
            'the allocated flavor\'s row').text
        assert '%d MB' % FLAVOR_RAM_MB in limits, limits
        assert re.search(r'\b%d\b' % FLAVOR_VCPUS, limits), limits
        _allocate(dash, 'Networks', dash.network)
        # A red message in the wizard (an API call of it failed) fails the
        # test at once, naming the message.
        dash.check_no_error()
        dash.click((By.CSS_SELECTOR, 'button.btn-primary.finish'),
                   'the enabled Launch Instance button of the wizard',
                   pick=lambda el: dash.check_no_error() or True)
        dash.wait(lambda d: not dash._visible(
            (By.CSS_SELECTOR, 'button.btn-primary.finish')),
            'the wizard to close')
        dash.check_no_error()
        # The new row goes ACTIVE with its address (the table refreshes
        # itself while the instance builds).
        row = (By.XPATH, "//tr[starts-with(@id,'instances__row__')]"
                         "[.//a[normalize-space(.)='%s']]" % dash.server)

        def active(d):
            el = dash._visible(row)
            if el is None:
                dash.check_no_error()
                return None
            text = el.text
            if 'Error' in text:
                raise AssertionError('the instance failed: %r (%s)' % (
                    text, dash.screenshot('instance-error')))
            return el if ('Active' in text and re.search(
                r'10\.77\.0\.\d+', text)) else None

        el = dash.wait(active, 'the instance Active with its address', 240)
        dash.screenshot('instance-active')
        server = aio.nova('aio-demo').servers.find(name=dash.server)
        dash.server_id = server.id
        (address,) = [a['addr'] for a in server.addresses[dash.network]]
        assert address in el.text
        assert aio.containers_of(server.id), 'no container for the server'


def _reloaded_until(driver, check, pause=3):
    """``check()``; when false, reload the page after ``pause`` seconds."""
    if check():
        return True
    time.sleep(pause)
    driver.refresh()
    return False


def _needs_server(dash):
    if not dash.server_id:
        pytest.fail('the launch test made no server')


def test_overview_log_and_console_tabs(dash):
    _needs_server(dash)
    base = '/project/instances/%s/' % dash.server_id
    with _on_failure(dash, 'tabs'):
        dash.open(base + '?tab=instance_details__overview',
                  (By.XPATH, "//dd[normalize-space(.)='%s']"
                   % dash.server_id), 'the overview with the instance id')
        page = dash.driver.page_source
        assert FLAVOR in page and dash.server in page
        # The flavor's limits on the instance's page ...
        specs = {dt.text.strip(): dd.text.strip() for dt, dd in zip(
            dash.driver.find_elements(By.XPATH, "//h4[normalize-space(.)="
                                      "'Specs']/following-sibling::dl[1]/dt"),
            dash.driver.find_elements(By.XPATH, "//h4[normalize-space(.)="
                                      "'Specs']/following-sibling::dl[1]/dd"))}
        assert specs.get('Flavor Name') == FLAVOR, specs
        assert specs.get('RAM') == '%dMB' % FLAVOR_RAM_MB, specs
        assert specs.get('vCPUs') == '%d vCPU' % FLAVOR_VCPUS, specs
        assert specs.get('Disk') == '%dGB' % FLAVOR_DISK_GB, specs
        dash.screenshot('overview')
        # ... are the container's.
        (container,) = dash.aio.containers_of(dash.server_id).values()
        host = container.attrs['HostConfig']
        assert host['Memory'] == FLAVOR_RAM_MB * 2 ** 20
        assert host['CpuQuota'] == FLAVOR_VCPUS * host['CpuPeriod']
        # The console: a shell in the container. What it writes to the
        # container's stdout then shows in the Log tab.
        marker = 'dash-%s' % uuid.uuid4().hex[:6]
        dash.open(base + '?tab=instance_details__console',
                  (By.ID, 'console_embed'), 'the console frame')
        dash.driver.switch_to.frame(dash.driver.find_element(
            By.ID, 'console_embed'))
        try:
            terminal = dash.wait(lambda d: dash._visible(
                (By.CSS_SELECTOR, '.terminal')), 'the terminal')
            time.sleep(1)
            ActionChains(dash.driver).click(terminal).perform()
            answer = '%s-42-ok' % marker

            def answered(d):
                return answer in terminal.text.replace('\xa0', ' ')

            for _attempt in range(3):
                ActionChains(dash.driver).send_keys(
                    'echo "%s-$((6 * 7))-ok" | tee /proc/1/fd/1' % marker,
                    Keys.ENTER).perform()
                try:
                    WebDriverWait(dash.driver, 20, 0.5).until(answered)
                    break
                except sel_exc.TimeoutException:
                    continue
            dash.screenshot('console')
            assert answered(dash.driver), terminal.text
        finally:
            dash.driver.switch_to.default_content()
        dash.open(base + '?tab=instance_details__log',
                  (By.CSS_SELECTOR, 'pre.logs'), 'the log')
        logged = dash.wait(lambda d: _reloaded_until(
            d, lambda: answer in d.find_element(By.CSS_SELECTOR,
                                                'pre.logs').text),
            'the console\'s line in the log')
        assert logged
        dash.screenshot('log')


def _row_action(dash, action, label):
    """Click the row action ``action`` of the instance (opening the row's
    menu when it is not the row's first button), and confirm."""
    row = '//tr[@id="instances__row__%s"]' % dash.server_id
    dash.open('/project/instances/', (By.XPATH, row), 'the instance row')
    button = (By.ID, 'instances__row_%s__action_%s' % (dash.server_id,
                                                      action))
    if not dash._visible(button):
        dash.click((By.XPATH, row + '//*[contains(@class,'
                    '"dropdown-toggle")]'), 'the row\'s actions')
    dash.click(button, label)
    # Actions that ask first (Shut Off) open a confirmation; others (Start)
    # go at once.
    confirm = (By.XPATH, "//div[contains(@class,'modal-footer')]"
                         "//*[contains(@class,'btn-danger') or "
                         "contains(@class,'btn-primary')]")
    try:
        found = WebDriverWait(dash.driver, 5, 0.5).until(
            lambda d: dash._visible(confirm))
    except sel_exc.TimeoutException:
        found = None
    if found is not None:
        found.click()
    dash.check_no_error()


def _row_status(dash, status, timeout=180):
    row = (By.ID, 'instances__row__%s' % dash.server_id)

    def reached(d):
        el = dash._visible(row)
        if el is None:
            return None
        dash.check_no_error()
        return el if status in el.text and 'None' in el.text else None
    # The table follows a row in transition by itself.
    return dash.wait(reached, 'the instance %s' % status, timeout)


def test_shut_off_and_start(dash):
    _needs_server(dash)
    with _on_failure(dash, 'stop-start'):
        _row_action(dash, 'stop', 'Shut Off Instance')
        _row_status(dash, 'Shutoff')
        dash.screenshot('shut-off')
        (container,) = dash.aio.containers_of(dash.server_id).values()
        container.reload()
        assert container.status == 'exited'
        _row_action(dash, 'start', 'Start Instance')
        _row_status(dash, 'Active')
        dash.screenshot('started')
        container.reload()
        assert container.status == 'running'


def test_delete_instance(dash):
    _needs_server(dash)
    with _on_failure(dash, 'delete'):
        dash.open('/project/instances/',
                  (By.ID, 'instances__row__%s' % dash.server_id),
                  'the instance row')
        row = '//tr[@id="instances__row__%s"]' % dash.server_id
        dash.click((By.XPATH, row + '//a[contains(@class,"dropdown-toggle")]'
                    ' | ' + row + '//button[contains(@class,'
                    '"dropdown-toggle")]'), 'the row\'s actions')
        dash.click((By.ID, 'instances__row_%s__action_delete'
                    % dash.server_id), 'Delete Instance')
        dash.click((By.XPATH, "//div[contains(@class,'modal-footer')]"
                              "//*[contains(@class,'btn-danger')]"),
                   'the confirmation')
        # The table follows the deleting row by itself until it is gone.
        dash.wait(lambda d: not d.find_elements(
            By.ID, 'instances__row__%s' % dash.server_id), 'the row to go',
            180)
        dash.check_no_error()
        dash.screenshot('deleted')
    nova = dash.aio.nova('aio-demo')
    wait(lambda: not [s for s in nova.servers.list()
                      if s.id == dash.server_id], 120, 'the server gone')
    wait(lambda: not dash.aio.containers_of(dash.server_id), 60,
         'the container gone')


def _stack_row(dash):
    return (By.XPATH, "//tr[starts-with(@id,'stacks__row__')][.//a["
                      "normalize-space(.)='%s']]" % dash.stack)


def _stack_reached(dash, status):
    """The stack's row once it reads ``status``; fails at once when it
    reads Failed."""
    def reached(d):
        el = dash._visible(_stack_row(dash))
        if el is None:
            dash.check_no_error()
            return None
        if 'Failed' in el.text:
            raise AssertionError('the stack failed: %r (%s)' % (
                el.text, dash.screenshot('stack-failed')))
        return el if status in el.text else None
    return reached


def _stack_containers(dash):
    return [c.name for client in dash.aio.engines.values()
            for c in client.containers.list(all=True)
            if c.name.startswith(dash.stack + '-')]


def test_heat_stack_from_an_example_template(dash):
    """Orchestration > Stacks > Launch Stack with examples/'s
    web_with_network_and_volume.yaml uploaded as the template file and its
    parameter filled in; the stack completes, its Resources tab lists the
    Docker network, volume and containers; Delete Stack removes it all."""
    heat = dash.aio.heat('aio-demo')
    with _on_failure(dash, 'stack'):
        dash.open('/project/stacks/', (By.ID, 'stacks__action_launch'),
                  'the Launch Stack button')
        dash.click((By.ID, 'stacks__action_launch'), 'Launch Stack')
        upload = dash.wait(lambda d: d.find_elements(
            By.ID, 'id_template_upload'), 'the template file field')[0]
        upload.send_keys(EXAMPLE)
        dash.screenshot('stack-template')
        dash.click((By.CSS_SELECTOR, '.modal-footer .btn-primary'),
                   'Next')
        name = dash.wait(lambda d: dash._visible((By.ID, 'id_stack_name')),
                         'the stack name field')
        dash.check_no_error()
        name.send_keys(dash.stack)
        for key, value in EXAMPLE_PARAMETERS.items():
            field = dash.driver.find_element(By.ID, 'id___param_' + key)
            field.clear()
            field.send_keys(value)
        from tools.aio import layout
        dash.driver.find_element(By.ID, 'id_password').send_keys(
            layout.DEMO_PASSWORD)
        dash.screenshot('stack-launch')
        dash.click((By.CSS_SELECTOR, '.modal-footer .btn-primary'),
                   'Launch')
        dash.wait(lambda d: '/project/stacks/' in d.current_url and not
                  dash._visible((By.ID, 'id_stack_name')),
                  'the launch form to close')
        dash.check_no_error()
        # The row follows the stack by itself until it completes.
        dash.wait(_stack_reached(dash, 'Create Complete'),
                  'the stack Create Complete', 240)
        dash.screenshot('stack-complete')
        dash.click((By.XPATH, "//tr[starts-with(@id,'stacks__row__')]"
                              "//a[normalize-space(.)='%s']" % dash.stack),
                   'the stack\'s link')
        dash.click((By.XPATH, "//ul[contains(@class,'nav-tabs')]//a["
                              "normalize-space(.)='Resources']"),
                   'the Resources tab')
        rows = dash.wait(lambda d: [
            el for el in d.find_elements(
                By.XPATH, "//table[@id='resources']//tr[starts-with("
                          "@id,'resources__row__')]") if el.is_displayed()]
            or None, 'the stack\'s resources')
        dash.check_no_error()
        listed = {}
        for row in rows:
            cells = [td.text.strip() for td in row.find_elements(
                By.TAG_NAME, 'td')]
            listed[cells[0]] = cells
        assert set(listed) == set(EXAMPLE_RESOURCES), listed
        for resource, kind in EXAMPLE_RESOURCES.items():
            assert kind in listed[resource], listed[resource]
            assert 'Create Complete' in listed[resource], listed[resource]
        dash.screenshot('stack-resources')
        # What the page lists is what Heat made on the engines.
        stack = heat.stacks.get(dash.stack)
        assert stack.stack_status == 'CREATE_COMPLETE'
        made = {r.resource_name: r.physical_resource_id
                for r in heat.resources.list(stack.id)}
        assert set(made) == set(EXAMPLE_RESOURCES)
        for resource in ('web', 'client'):
            assert made[resource] in listed[resource], listed[resource]
        assert len(_stack_containers(dash)) == 2
        # Delete it from the stacks table.
        dash.open('/project/stacks/', _stack_row(dash), 'the stack\'s row')
        row = "//tr[@id='stacks__row__%s']" % stack.id
        dash.click((By.XPATH, row + "//*[contains(@class,'dropdown-toggle')"
                    "]"), 'the row\'s actions')
        dash.click((By.ID, 'stacks__row_%s__action_delete' % stack.id),
                   'Delete Stack')
        dash.click((By.XPATH, "//div[contains(@class,'modal-footer')]"
                              "//*[contains(@class,'btn-danger')]"),
                   'the confirmation')
        dash.check_no_error()
        dash.wait(lambda d: not d.find_elements(By.XPATH, row) or
                  _stack_reached(dash, 'Delete Complete')(d),
                  'the stack\'s row to go', 180)
        dash.screenshot('stack-deleted')
    wait(lambda: not [s for s in heat.stacks.list()
                      if s.stack_name == dash.stack], 120, 'the stack gone')
    assert _stack_containers(dash) == []
    docker_objects = [
        n.name for client in dash.aio.engines.values()
        for n in client.networks.list() + client.volumes.list()
        if n.name.startswith(dash.stack + '-')]
    assert docker_objects == []
