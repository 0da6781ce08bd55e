package dev.speakerembedding.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class UploadBudgetTest {

    @Test
    void accountsGrowUntilTheBudgetIsFullAndGiveEverythingBackOnce() {
        UploadBudget budget = new UploadBudget(1000);
        UploadBudget.Account a = budget.account();
        UploadBudget.Account b = budget.account();
        assertTrue(a.ensure(300));
        assertTrue(a.ensure(200), "a smaller total is already held");
        assertEquals(300, a.heldBytes());
        assertTrue(b.ensure(700));
        assertFalse(a.ensure(301), "one byte over the budget");
        assertEquals(300, a.heldBytes(), "a refused growth leaves the reservation as it was");
        assertEquals(1000, budget.reservedBytes());
        b.close();
        b.close();
        assertEquals(300, budget.reservedBytes(), "closed twice, given back once");
        assertTrue(a.ensure(1000));
        a.close();
        assertEquals(0, budget.reservedBytes());
        assertThrows(IllegalStateException.class, () -> a.ensure(1), "a closed account reserves nothing");
    }

    @Test
    void releasingMoreThanReservedIsABug() {
        UploadBudget budget = new UploadBudget(10);
        assertTrue(budget.tryReserve(4));
        assertThrows(IllegalStateException.class, () -> budget.release(5));
        assertEquals(4, budget.reservedBytes());
        assertThrows(IllegalArgumentException.class, () -> new UploadBudget(0));
    }

    @Test
    void concurrentAccountsNeverReserveMoreThanTheBudget() throws Exception {
        UploadBudget budget = new UploadBudget(10_000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> granted = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                granted.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 10_000; i++) {
                        try (UploadBudget.Account account = budget.account()) {
                            if (account.ensure(3_000)) {
                                ok++;
                                assertTrue(budget.reservedBytes() <= 10_000);
                            }
                        }
                    }
                    return ok;
                }));
            }
            int total = 0;
            for (Future<Integer> f : granted) {
                total += f.get();
            }
            assertTrue(total > 0);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, budget.reservedBytes());
    }
}
