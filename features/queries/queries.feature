@queries @unit
Feature: Queries and pagination
  Read-model queries are described once (name, source projection, target
  table, result type) and grouped per bounded context. Page sizes are
  normalised the same way everywhere, cursors are opaque URL-safe base64
  JSON, and document queries page through a collection in a stable order
  (ascending key) with a cursor that resumes exactly after the previous
  page. Document queries default to 100 items a page and never return
  more than 1000; a paginated descriptor defaults to 20 and caps at 100.

  Rule: Descriptors record what a query reads and returns

    **Invariant:** single/list/count descriptors keep their config; paginated descriptors fill defaults 20/100 unless given; names are unique in a registry.
    **Rationale:** queries are introspectable metadata.
    **Verified by:** each result type, defaults, custom sizes, a duplicate name.

    @happy-path
    Scenario Outline: A <type> query
      When I describe the query "getOrder" as "<type>"
      Then the query result type should be "<type>"

      Examples:
        | type   |
        | single |
        | list   |
        | count  |

    @validation
    Scenario: A paginated result type needs the paginated factory
      When I describe the query "getOrder" as "paginated"
      Then the error code should be "INVALID_ARGUMENT"

    @happy-path
    Scenario: Paginated defaults
      When I describe the paginated query "listOrders"
      Then the page size defaults should be 20 and 100

    @happy-path
    Scenario: Paginated custom sizes
      When I describe the paginated query "listOrders" with default 50 and maximum 500
      Then the page size defaults should be 50 and 500

    @validation
    Scenario: A default above the maximum is refused
      When I describe the paginated query "listOrders" with default 200 and maximum 100
      Then the error code should be "INVALID_ARGUMENT"
      And the error message should contain "1 ≤ default ≤ max ≤ 1000"

    @validation
    Scenario: Query names are unique within a registry
      When I register the queries "getOrder, countOrders, getOrder" for context "orders"
      Then the error message should contain "query "getOrder" registered twice"

  Rule: Page sizes are floored and clamped to [1, max]; an absent size takes the default

    **Invariant:** 0 (absent) → default, not clamped; otherwise clamped to [1, max]; fractions are floored; validity means an integer in [1, max].
    **Rationale:** callers cannot ask for empty or unbounded pages.
    **Verified by:** the original's examples.

    @validation
    Scenario Outline: requested <requested> with default 20 and max 100 gives <size>
      Then a requested page size of <requested> should give <size>

      Examples:
        | requested | size |
        | absent    | 20   |
        | 0         | 1    |
        | -5        | 1    |
        | 10.5      | 10   |
        | 50        | 50   |
        | 100       | 100  |
        | 200       | 100  |

    @edge-case
    Scenario Outline: <size> <verdict> a valid page size for a maximum of 100
      Then <size> should <verdict> a valid page size

      Examples:
        | size | verdict |
        | 1    | be      |
        | 100  | be      |
        | 0    | not be  |
        | 101  | not be  |
        | 10.5 | not be  |
        | NaN  | not be  |

  Rule: Cursors are URL-safe base64 JSON and anything else decodes to nothing

    **Invariant:** encode = base64url(JSON) with padding; decode returns nothing for empty, bad length, bad characters (standard '+' and '/' included), invalid UTF-8, invalid JSON, or a schema mismatch.
    **Rationale:** cursors are opaque and tamper-evident enough to reject garbage.
    **Verified by:** round trips and each invalid form.

    @happy-path
    Scenario: A cursor round-trips nested, special and Unicode values
      When I encode the cursor {"key":"ü→?>> 🎉 \"q\"","list":[1,2],"obj":{"deep":[true,null]}}
      Then the cursor should use only the URL-safe alphabet
      And decoding the cursor should give {"key":"ü→?>> 🎉 \"q\"","list":[1,2],"obj":{"deep":[true,null]}}

    @validation
    Scenario Outline: <case> decodes to nothing
      Then decoding the cursor text "<text>" should give nothing

      Examples:
        | case                 | text         |
        | empty                |              |
        | bad length           | X            |
        | bad character        | ey!=         |
        | standard alphabet    | Ij8_Pj4i+/== |
        | truncated UTF-8      | wA==         |
        | not JSON             | bm90IGpzb24= |
        | trailing data        | ImEiICJiIg== |

  Rule: Document queries page in key order and the cursor continues exactly after the page

    **Invariant:** pages follow ascending key order; a page holds min(size, remaining) items; the last page is done with no cursor; writes before the cursor are not seen again, writes after it are.
    **Rationale:** stable, gap-free and duplicate-free pagination.
    **Verified by:** paging 25 documents, the default and maximum sizes, a filter, writes between pages, a foreign cursor.

    Background:
      Given 25 order documents "o-00" to "o-24" in "orderSummaries"

    @happy-path
    Scenario: Paging by 10
      When I page through "orderSummaries" by 10
      Then the pages should be:
        | items | first | last | done  |
        | 10    | o-00  | o-09 | false |
        | 10    | o-10  | o-19 | false |
        | 5     | o-20  | o-24 | true  |

    @edge-case
    Scenario: A page that ends exactly at the last item is done
      When I page through "orderSummaries" by 25
      Then the pages should be:
        | items | first | last | done |
        | 25    | o-00  | o-24 | true |

    @happy-path
    Scenario: The default page size is 100, the maximum 1000
      Given 1200 order documents "p-0000" to "p-1199" in "big"
      When I page through "big" by the default size
      Then the first page should hold 100 items
      When I page through "big" by 5000
      Then the pages should be:
        | items | first  | last   | done  |
        | 1000  | p-0000 | p-0999 | false |
        | 200   | p-1000 | p-1199 | true  |

    @happy-path
    Scenario: Filtering keeps the order and the page size
      When I page through "orderSummaries" by 4 keeping even amounts
      Then the pages should be:
        | items | first | last | done  |
        | 4     | o-00  | o-06 | false |
        | 4     | o-08  | o-14 | false |
        | 4     | o-16  | o-22 | false |
        | 1     | o-24  | o-24 | true  |

    @edge-case
    Scenario: Writes between pages
      When I read the first page of "orderSummaries" by 5
      And the documents "o-02a" and "o-07a" are added to "orderSummaries"
      And the document "o-05" is removed from "orderSummaries"
      And I read the next page of "orderSummaries" by 5
      Then the last page should hold "o-06, o-07, o-07a, o-08, o-09"

    @validation
    Scenario: A cursor from another query is refused
      When I read the first page of "orderSummaries" by 5
      And I read the next page of "otherSummaries" by 5
      Then the error code should be "INVALID_CURSOR"
      And the error message should contain "belongs to another query"

    @edge-case
    Scenario: An empty collection is one empty, done page
      When I page through "nothing" by 10
      Then the pages should be:
        | items | first | last | done |
        | 0     |       |      | true |
