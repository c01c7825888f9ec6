#include <stdio.h>
#include "util.h"
int main(void) {
	printf("add=%d mul=%d\n", add(2, 3), mul(6, 7));
	return 0;
}
