#!/usr/bin/python3
"""The browser half of web_ui_test.sh: drives alice's web UI in headless Chromium.

Runs inside alice's network namespace, so 127.0.0.1 is her daemon's. bob is
checked and driven through his control socket (a Unix socket: a file path,
reachable from any network namespace). Every wait is bounded; on a failure the
page's text and a screenshot (failure.png) are saved. Exit 0 when every step
passed, 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

WAIT_S = 30  # the longest any one step may take (a relayed tunnel needs a few seconds)


class Failed(Exception):
    pass


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True, help="the URL `yellowtail ui` printed")
    p.add_argument("--out", required=True, help="directory for the screenshots")
    p.add_argument("--work", required=True, help="scratch directory (Chromium's profile)")
    p.add_argument("--cli", required=True, help="the yellowtail CLI")
    p.add_argument("--bob-socket", required=True, help="bob's control socket")
    return p.parse_args()


def start_browser(work):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox",  # root in a namespace: no user-namespace sandbox
                 # The namespace's Internet has no DNS: proxy auto-detection and any
                 # name lookup would wait for a timeout before the first page.
                 "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,700",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking",
                 "--user-data-dir=" + os.path.join(work, "chromium-profile")):
        options.add_argument(flag)
    service = Service("/usr/bin/chromedriver", log_path=os.path.join(work, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT_S)
    driver.set_script_timeout(WAIT_S)
    return driver


class Session:
    def __init__(self, driver, args):
        self.driver = driver
        self.args = args
        self.started = time.monotonic()

    def log(self, text):
        print("    [%5.1f s] %s" % (time.monotonic() - self.started, text), flush=True)

    def wait(self, what, condition, timeout=WAIT_S):
        """Polls condition() (re-run when the page re-rendered under it) until truthy."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except (StaleElementReferenceException, Failed) as e:
                last = e
            time.sleep(0.2)
        raise Failed("timed out after %d s waiting for %s%s" % (timeout, what, " (%s)" % last if last else ""))

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, what, css):
        """Clicks css once it exists and is enabled (re-found if the list re-rendered)."""
        def attempt():
            element = self.find(css)
            if not element.is_displayed() or not element.is_enabled():
                return False
            element.click()
            return True
        self.wait("to click " + what, attempt)

    def text(self, css):
        try:
            return self.find(css).text
        except WebDriverException:
            return ""

    def screenshot(self, name):
        path = os.path.join(self.args.out, name)
        self.driver.save_screenshot(path)
        self.log("screenshot " + path)

    def member_row(self, network, nickname):
        for row in self.finds('[data-network="%s"] .member' % network):
            if row.find_element(By.CSS_SELECTOR, ".name").text == nickname:
                return row
        return None

    def member(self, network, nickname):
        """(state, path text) of a member's row in a network group, or None."""
        row = self.member_row(network, nickname)
        if row is None:
            return None
        return row.get_attribute("data-state"), row.find_element(By.CSS_SELECTOR, ".path").text

    def member_chat_button(self, network, nickname):
        row = self.member_row(network, nickname)
        return row.find_element(By.CSS_SELECTOR, "[data-chat-peer]") if row else None

    def chat_log(self):
        return [m.text for m in self.finds("#chat-log .msg")]

    def bob(self, *command):
        run = subprocess.run([self.args.cli, "--socket", self.args.bob_socket, "--timeout", "8", *command],
                             capture_output=True, text=True, timeout=10)
        if run.returncode != 0:
            raise Failed("bob's CLI %s: %s" % (" ".join(command), run.stderr.strip()))
        return run.stdout


def alice_peer(session, nickname):
    """alice's entry in bob's list (by nickname), or None."""
    peers = json.loads(session.bob("list", "--json"))["peers"]
    return next((p for p in peers if p["nickname"] == nickname), None)


def run(session):
    s = session
    s.driver.get(s.args.url)
    s.log("page fetched")
    s.wait("the page to show alice online", lambda: s.find("#me-state").get_attribute("data-state") == "online")
    s.wait("alice's nickname in the header", lambda: s.text("#nick") == "alice")
    s.log("page loaded: %s, %s" % (s.text("#me-state"), s.text("#me-detail")))

    # Join through the dialog: a wrong password first, which the page must report.
    s.click("Join network", "#join")
    s.wait("the join dialog", lambda: s.find("#network-dialog").is_displayed())
    s.find("#network-name").send_keys("lan")
    s.find("#network-password").send_keys("wrong")
    s.click("Join", "#network-ok")
    error = s.wait("the wrong password to be reported", lambda: s.find("#error").is_displayed() and s.text("#error"))
    s.log("wrong password reported: " + error)
    if "wrong password" not in error:
        raise Failed("the error does not say the password was wrong: " + error)
    s.screenshot("1-wrong-password.png")
    s.find("#network-password").clear()
    s.find("#network-password").send_keys("secret")
    s.click("Join", "#network-ok")
    s.wait("the dialog to close", lambda: not s.find("#network-dialog").is_displayed())
    s.wait("the network group lan", lambda: s.finds('[data-network="lan"]'))
    s.log("joined lan through the page")

    # Each member's state, as Hamachi's window shows it.
    bob = s.wait("bob direct with an RTT",
                 lambda: (m := s.member("lan", "bob")) and m[0] == "direct" and " ms" in m[1] and m)
    s.log("bob: %s, %s" % bob)
    carol = s.wait("carol relayed (UDP blocked at her NAT)",
                   lambda: (m := s.member("lan", "carol")) and m[0] == "relayed" and m)
    s.log("carol: %s, %s" % carol)
    if "relayed via 203.0.113.10:12975" not in carol[1]:
        raise Failed("carol's row does not name the relay: " + carol[1])
    dave = s.wait("dave offline", lambda: (m := s.member("lan", "dave")) and m[0] == "offline" and m)
    s.log("dave: %s, %s" % dave)

    # The network's chat: alice writes through the page, bob's daemon gets it.
    s.click("lan's Chat", '[data-chat-network="lan"]')
    s.wait("the chat box", lambda: s.find("#chat-input").is_enabled())
    s.find("#chat-input").send_keys("hello from the page", Keys.ENTER)
    s.wait("alice's message in her chat log", lambda: any("hello from the page" in m for m in s.chat_log()))
    s.wait("bob's daemon to receive it", lambda: "hello from the page" in s.bob("history", "lan"))
    s.log("bob's history: " + s.bob("history", "lan").strip().splitlines()[-1])

    # bob answers with his CLI: the page shows it without a reload (server-sent events).
    s.bob("chat", "lan", "hi alice, bob here")
    s.wait("bob's answer on the page", lambda: any("hi alice, bob here" in m for m in s.chat_log()))
    s.log("bob's answer appeared live: " + s.chat_log()[-1])
    s.screenshot("2-network-chat.png")

    # A private message from bob marks his Chat button; alice opens it and answers.
    s.bob("chat", "alice", "psst, private")
    s.wait("the unread mark on bob's Chat button",
           lambda: (b := s.member_chat_button("lan", "bob")) and "unread" in b.get_attribute("class"))
    s.wait("to click bob's Chat", lambda: s.member_chat_button("lan", "bob").click() or True)
    s.wait("bob's private message", lambda: any("psst, private" in m for m in s.chat_log()))
    if any("hello from the page" in m for m in s.chat_log()):
        raise Failed("the private conversation shows network messages")
    s.find("#chat-input").send_keys("private hello", Keys.ENTER)
    s.wait("bob's daemon to get the private answer", lambda: "private hello" in s.bob("history", "alice"))
    s.log("private chat both ways")

    # Nickname.
    s.click("the nickname", "#nick")
    s.wait("the nickname dialog", lambda: s.find("#nick-dialog").is_displayed())
    s.find("#nick-input").clear()
    s.find("#nick-input").send_keys("alice-web", Keys.ENTER)
    s.wait("the new nickname in the header", lambda: s.text("#nick") == "alice-web")
    s.wait("bob to see the new nickname", lambda: alice_peer(s, "alice-web"))
    s.log("nickname alice-web, seen by bob")

    # Offline and online in lan: bob's daemon sees alice go and come back.
    s.click("Go offline", '[data-network="lan"] .toggle[data-online="true"]')
    s.wait("the group to say offline here", lambda: s.finds('[data-network="lan"] .toggle[data-online="false"]'))
    s.wait("bob to see alice offline", lambda: (p := alice_peer(s, "alice-web")) and not p["online"])
    s.log("offline in lan, seen by bob")
    s.click("Go online", '[data-network="lan"] .toggle[data-online="false"]')
    s.wait("bob to see alice online", lambda: (p := alice_peer(s, "alice-web")) and p["online"])
    s.wait("bob direct again on the page", lambda: (m := s.member("lan", "bob")) and m[0] == "direct")
    s.log("online in lan again, bob direct")

    # The picture for the README: the members in their states and the network chat.
    s.click("lan's Chat", '[data-chat-network="lan"]')
    s.wait("the network conversation", lambda: any("hi alice, bob here" in m for m in s.chat_log()))
    s.wait("bob's RTT shown", lambda: (m := s.member("lan", "bob")) and " ms" in m[1])
    s.screenshot("web-ui.png")


def main():
    args = parse_args()
    started = time.monotonic()
    driver = start_browser(args.work)
    print("    Chromium started in %.1f s" % (time.monotonic() - started), flush=True)
    session = Session(driver, args)
    try:
        run(session)
        session.log("every browser step passed")
        return 0
    except (Failed, WebDriverException, subprocess.SubprocessError) as e:
        print("FAIL: %s" % e, flush=True)
        try:
            session.screenshot("failure.png")
            print("--- the page's text:\n" + driver.find_element(By.TAG_NAME, "body").text, flush=True)
        except WebDriverException:
            pass
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
