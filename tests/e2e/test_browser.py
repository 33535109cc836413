"""The web app in a real browser: search → article → hot-list chart → story, escaping, phone width."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import SCRIPT_TITLE

SEED_URL = "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html"  # the demo's 养老 article
SEED_TITLE = "双鸭山：织密民生保障网"
WAIT = 30  # seconds; generous, the machine is shared


def wait_for(driver: Any, css: str) -> Any:
    return WebDriverWait(driver, WAIT).until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def assert_no_alert(driver: Any) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (reading it is how Selenium says whether one is open)


def test_search_open_article_then_follow_a_story_on_the_hot_chart(driver: Any, server: str, shots: Any) -> None:
    driver.set_window_size(1280, 1000)
    driver.get(server + "/")
    box = wait_for(driver, "#q")
    shots("home")  # docs/web-home.png is this one
    box.send_keys("养老")
    driver.find_element(By.CSS_SELECTOR, "form.search button").click()
    wait_for(driver, "#count")
    assert "/search?q=" in driver.current_url
    shots("results")
    assert {mark.text for mark in driver.find_elements(By.CSS_SELECTOR, ".snippet mark")} == {"养老"}
    driver.find_element(By.PARTIAL_LINK_TEXT, SEED_TITLE).click()
    body = wait_for(driver, "#body")
    assert "养老" in body.text and len(body.text) > 200
    assert driver.find_element(By.LINK_TEXT, SEED_URL)
    shots("article")
    driver.find_element(By.LINK_TEXT, "热榜").click()
    wait_for(driver, "main ul a").click()
    chart = wait_for(driver, "figure.chart svg")
    shots("hot-chart")
    label = chart.find_elements(By.CSS_SELECTOR, "a.story-line text")[0]
    title = label.text.rstrip("…")
    label.click()
    heading = wait_for(driver, "#story-title")
    assert heading.text.startswith(title)
    assert "/story?url=" in driver.current_url
    assert driver.find_elements(By.CSS_SELECTOR, "figure.chart circle")
    shots("story")


def test_an_article_titled_with_a_script_shows_it_as_text(driver: Any, server: str, shots: Any) -> None:
    driver.get(server + "/search?q=" + "养老")
    wait_for(driver, "#count")
    link = driver.find_element(By.PARTIAL_LINK_TEXT, SCRIPT_TITLE)
    assert_no_alert(driver)
    link.click()
    assert wait_for(driver, "#title").text == SCRIPT_TITLE
    assert "<img src=x onerror=alert(2)>" in driver.find_element(By.ID, "body").text
    assert_no_alert(driver)
    shots("script-title")
    driver.get(server + "/")
    wait_for(driver, "#q")
    assert_no_alert(driver)


@pytest.mark.parametrize("path", ["/", "/search?q=养老", "/article/1", "/hot/hlj_people", "/runs", "/sites"])
def test_pages_fit_a_phone_without_scrolling_sideways(driver: Any, server: str, shots: Any, path: str) -> None:
    driver.set_window_size(390, 844)
    try:
        driver.get(server + path)
        wait_for(driver, "main")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        shots("phone")
        assert overflow <= 0, f"{path} is {overflow} px wider than a 390 px phone"
    finally:
        driver.set_window_size(1280, 1000)
