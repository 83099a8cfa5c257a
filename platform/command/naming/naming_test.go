package naming_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/platform/command/naming"
)

func TestValid(t *testing.T) {
	valid := []string{"CreateOrder", "SubmitOrder", "CancelBooking", "UpdateProfile", "ChangeAddress", "ModifyCart",
		"AddItem", "RemoveItem", "ConfirmOrder", "ReserveStock", "ReleaseStock", "ExpireReservation", "DeleteUser",
		"StartProcess", "CompleteTask", "RejectRequest", "ApproveRequest", "CreateOrderLineItem"}
	for _, n := range valid {
		if !naming.Valid(n) {
			t.Errorf("Valid(%q) = false", n)
		}
	}
	invalid := []string{"OrderCreate", "createOrder", "create_order", "create-order", "", "Order", "Create", "Createorder",
		"CreateOrder2", "Create_Order", "Create-Order", "FetchOrder"}
	for _, n := range invalid {
		if naming.Valid(n) {
			t.Errorf("Valid(%q) = true", n)
		}
	}
}

func TestPrefixOrderAndValidate(t *testing.T) {
	var keys []string
	for _, p := range naming.Prefixes() {
		keys = append(keys, p.Key)
	}
	if got := strings.Join(keys, ","); got != "CREATE,SUBMIT,CANCEL,UPDATE,ADD,REMOVE,CONFIRM,RESERVE,RELEASE,EXPIRE,DELETE,START,COMPLETE,REJECT,APPROVE" {
		t.Fatalf("prefix order = %s", got)
	}
	for n, want := range map[string]string{"ChangeAddress": "UPDATE", "DeleteUser": "DELETE", "Order": "", "ApproveLoan": "APPROVE"} {
		if got := naming.PrefixOf(n); got != want {
			t.Errorf("PrefixOf(%q) = %q, want %q", n, got, want)
		}
	}
	v := naming.Validate("CreateOrder")
	if !v.Valid || v.MatchedPrefix != "CREATE" || v.Suggestions != nil {
		t.Fatalf("Validate(CreateOrder) = %+v", v)
	}
	v = naming.Validate("OrderCreate")
	if v.Valid || !strings.Contains(v.Message, "does not follow naming conventions") || len(v.Suggestions) == 0 || v.Suggestions[0] != "CreateOrder" {
		t.Fatalf("Validate(OrderCreate) = %+v", v)
	}
}

func TestSuggest(t *testing.T) {
	cases := map[string][]string{
		"OrderCreate":  {"CreateOrder", "UpdateOrder", "DeleteOrder"},
		"Order":        {"CreateOrder", "UpdateOrder", "DeleteOrder"},
		"create_order": {"CreateOrder", "UpdateOrder", "DeleteOrder"},
		"order-item":   {"CreateOrderItem", "UpdateOrderItem", "DeleteOrderItem"},
		"":             nil,
	}
	for in, want := range cases {
		got := naming.Suggest(in)
		if !slices.Equal(got, want) {
			t.Errorf("Suggest(%q) = %v, want %v", in, got, want)
		}
		if len(got) > 3 {
			t.Errorf("Suggest(%q) returned %d suggestions", in, len(got))
		}
		for _, s := range got {
			if !naming.Valid(s) {
				t.Errorf("Suggest(%q) returned invalid %q", in, s)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ in, prefix, want string }{
		{"create_order", "", "CreateOrder"},
		{"add-item", "", "AddItem"},
		{"Order", "Create", "CreateOrder"},
		{"Something", "", "ExecuteSomething"},
		{"CREATE_ORDER", "", "CreateOrder"},
		{"cancelBooking", "", "CancelBooking"},
	}
	for _, c := range cases {
		if got := naming.Format(c.in, c.prefix); got != c.want {
			t.Errorf("Format(%q, %q) = %q, want %q", c.in, c.prefix, got, c.want)
		}
	}
	if naming.Valid(naming.Format("Something", "")) {
		t.Error("ExecuteSomething must not be valid")
	}
}

func ExampleValidate() {
	v := naming.Validate("OrderCreate")
	fmt.Println(v.Valid, v.Suggestions)
	fmt.Println(naming.Validate("CancelOrder").MatchedPrefix)
	// Output:
	// false [CreateOrder UpdateOrder DeleteOrder]
	// CANCEL
}
